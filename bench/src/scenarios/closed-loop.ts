import { closeAll, populate } from '../population';
import { latencyBoundsMs, noLossCheck, progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round } from '../stats';
import { Traffic } from '../traffic';

/** U users in rooms of G; every sender waits for its own echo before sending again. */
export async function closedLoop(ctx: ScenarioContext, users = 20, groupSize = 2): Promise<ScenarioResult> {
  const rooms = await populate(ctx.target, 'c', users / groupSize, groupSize);
  const traffic = new Traffic(rooms);
  const stopAt = Date.now() + ctx.durationSeconds * 1000;
  const started = performance.now();
  const done = progress('closed-loop', () => `acknowledged ${traffic.ledger.acknowledged}`);
  await Promise.all(
    rooms.flatMap((room) =>
      room.members.map(async (member) => {
        while (Date.now() < stopAt) {
          const outcome = await traffic.send(member, room);
          if (outcome !== 'acknowledged') await new Promise((r) => setTimeout(r, 5));
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  await traffic.drain();
  done();
  closeAll(rooms);
  const totals = traffic.ledger.totals();
  const perSecond = round(totals.acknowledged / seconds, 0);
  return {
    name: 'closed loop',
    parameters: { users, groupSize, seconds: round(seconds, 1) },
    figures: { persistedMessagesPerSecond: perSecond, deliveriesPerSecond: round(totals.delivered / seconds, 0) },
    totals,
    latencyMs: traffic.latency.summary(),
    latencyHistogram: { boundsMs: latencyBoundsMs, counts: traffic.latency.histogram(latencyBoundsMs) },
    checks: [{ what: 'persisted messages/s', target: '>= 5000', actual: String(perSecond), pass: perSecond >= 5000 }, ...noLossCheck(totals)],
  };
}
