import { machineBusyMs } from '../cpu-accounting';
import { closeAll, populate, type Room } from '../population';
import { latencyBoundsMs, noLossCheck, progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round } from '../stats';
import { Traffic } from '../traffic';

/**
 * Sends at a fixed offered rate whatever the replies do (so queueing shows up as latency), round
 * robin over every member of every room; members sit on alternating gateways.
 */
export async function offerLoad(durationSeconds: number, rooms: Room[], ratePerSecond: number, label: string) {
  const traffic = new Traffic(rooms);
  const senders = rooms.flatMap((room) => room.members.map((member) => ({ room, member })));
  const started = performance.now();
  const total = Math.round(ratePerSecond * durationSeconds);
  let sent = 0;
  const done = progress(label, () => `sent ${sent}/${total} acknowledged ${traffic.ledger.acknowledged}`);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * ratePerSecond));
      for (; sent < due; sent++) {
        const { room, member } = senders[sent % senders.length]!;
        void traffic.send(member, room);
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  const seconds = (performance.now() - started) / 1000;
  await traffic.drain(15_000);
  done();
  return { traffic, seconds };
}

export async function openLoop(ctx: ScenarioContext, ratePerSecond = 1000, users = 20, groupSize = 2): Promise<ScenarioResult> {
  const rooms = await populate(ctx.target, 'o', users / groupSize, groupSize);
  const warmup = await offerLoad(ctx.warmupSeconds, rooms, ratePerSecond, 'open-loop warm-up');
  const busyBefore = machineBusyMs();
  const { traffic, seconds } = await offerLoad(ctx.durationSeconds, rooms, ratePerSecond, 'open-loop');
  const busyMs = machineBusyMs() - busyBefore;
  closeAll(rooms);
  const totals = traffic.ledger.totals();
  const latency = traffic.latency.summary();
  return {
    name: `open loop ${ratePerSecond}/s`,
    parameters: {
      offeredPerSecond: ratePerSecond,
      users,
      groupSize,
      gateways: ctx.target.gateways.length,
      seconds: round(seconds, 1),
      warmupSeconds: ctx.warmupSeconds,
    },
    figures: {
      acknowledgedPerSecond: round(totals.acknowledged / seconds, 0),
      // Everything on the machine, load generator and Postgres included: a quiet machine's figure.
      machineCpuMsPerMessage: round(busyMs / Math.max(1, totals.acknowledged), 3),
    },
    totals,
    latencyMs: latency,
    latencyHistogram: { boundsMs: latencyBoundsMs, counts: traffic.latency.histogram(latencyBoundsMs) },
    checks: [
      { what: 'delivery p50', target: '< 5 ms', actual: `${latency.p50} ms`, pass: latency.p50 < 5 },
      { what: 'delivery p99', target: '< 15 ms', actual: `${latency.p99} ms`, pass: latency.p99 < 15 },
      ...noLossCheck(totals),
      ...noLossCheck(warmup.traffic.ledger.totals(), ' in warm-up'),
    ],
  };
}
