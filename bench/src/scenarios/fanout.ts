import { closeAll, populate } from '../population';
import { latencyBoundsMs, noLossCheck, progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round } from '../stats';
import { Traffic } from '../traffic';

/** One room of `groupSize` members; a few senders each wait for their echo, everyone receives. */
export async function fanout(ctx: ScenarioContext, groupSize: number, senders = 16): Promise<ScenarioResult> {
  const [room] = await populate(ctx.target, `f${groupSize}`, 1, groupSize);
  const traffic = new Traffic([room!]);
  const stopAt = Date.now() + ctx.durationSeconds * 1000;
  const started = performance.now();
  const done = progress(`fan-out ${groupSize}`, () => `delivered ${traffic.ledger.delivered}`);
  await Promise.all(
    room!.members.slice(0, senders).map(async (member) => {
      while (Date.now() < stopAt) {
        const outcome = await traffic.send(member, room!);
        if (outcome !== 'acknowledged') await new Promise((r) => setTimeout(r, 5));
      }
    }),
  );
  await traffic.drain(20_000);
  const seconds = (performance.now() - started) / 1000;
  done();
  closeAll([room!]);
  const totals = traffic.ledger.totals();
  const deliveries = round(totals.delivered / seconds, 0);
  const checks = noLossCheck(totals);
  if (groupSize === 100) checks.unshift({ what: 'deliveries/s (G=100)', target: '>= 50000', actual: String(deliveries), pass: deliveries >= 50_000 });
  return {
    name: `fan-out G=${groupSize}`,
    parameters: { groupSize, senders, seconds: round(seconds, 1) },
    figures: { deliveriesPerSecond: deliveries, messagesPerSecond: round(totals.acknowledged / seconds, 0) },
    totals,
    latencyMs: traffic.latency.summary(),
    latencyHistogram: { boundsMs: latencyBoundsMs, counts: traffic.latency.histogram(latencyBoundsMs) },
    checks,
  };
}
