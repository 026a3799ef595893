import { closeAll, populate, type Room } from '../population';
import { latencyBoundsMs, noLossCheck, progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round } from '../stats';
import { Traffic } from '../traffic';

/** U users in rooms of G; every sender waits for its own echo before sending again. */
export async function closedLoop(ctx: ScenarioContext, users = 20, groupSize = 2): Promise<ScenarioResult> {
  const rooms = await populate(ctx.target, 'c', users / groupSize, groupSize);
  const warmup = await sendInTurn(rooms, ctx.warmupSeconds, 'closed-loop warm-up');
  const { traffic, seconds } = await sendInTurn(rooms, ctx.durationSeconds, 'closed-loop');
  closeAll(rooms);
  const totals = traffic.ledger.totals();
  const perSecond = round(totals.acknowledged / seconds, 0);
  return {
    name: 'closed loop',
    parameters: { users, groupSize, seconds: round(seconds, 1), warmupSeconds: ctx.warmupSeconds },
    figures: { persistedMessagesPerSecond: perSecond, deliveriesPerSecond: round(totals.delivered / seconds, 0) },
    totals,
    latencyMs: traffic.latency.summary(),
    latencyHistogram: { boundsMs: latencyBoundsMs, counts: traffic.latency.histogram(latencyBoundsMs) },
    checks: [
      { what: 'persisted messages/s', target: '>= 5000', actual: String(perSecond), pass: perSecond >= 5000 },
      ...noLossCheck(totals),
      ...noLossCheck(warmup.traffic.ledger.totals(), ' in warm-up'),
    ],
  };
}

/** Every member sends, waits for its echo and sends again, for `seconds`; then waits for the deliveries. */
export async function sendInTurn(rooms: Room[], seconds: number, label: string): Promise<{ traffic: Traffic; seconds: number }> {
  const traffic = new Traffic(rooms);
  const stopAt = Date.now() + seconds * 1000;
  const started = performance.now();
  const done = progress(label, () => `acknowledged ${traffic.ledger.acknowledged}`);
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
  const elapsed = (performance.now() - started) / 1000;
  await traffic.drain();
  done();
  return { traffic, seconds: elapsed };
}
