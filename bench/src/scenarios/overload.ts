import { ChatApi } from '../client';
import { closeAll, populate } from '../population';
import { latencyBoundsMs, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round } from '../stats';
import { offerLoad } from './open-loop';

/**
 * Offers three times what the system serves. Nothing acknowledged may be lost, and what cannot
 * be admitted must be refused with a retryable error rather than queued without bound.
 */
export async function overload(ctx: ScenarioContext, servedPerSecond: number, users = 40, groupSize = 2): Promise<ScenarioResult> {
  const offered = Math.round(servedPerSecond * 3);
  const rooms = await populate(ctx.target, 'x', users / groupSize, groupSize);
  const { traffic, seconds } = await offerLoad(ctx.durationSeconds, rooms, offered, 'overload');
  const totals = traffic.ledger.totals();
  const api = new ChatApi(ctx.target.gateways[0]!);
  let stored = 0;
  for (const room of rooms) stored += await countStored(api, room.conversationId, room.members[0]!.token);
  closeAll(rooms);
  const rejected = Object.values(totals.rejected).reduce((a, b) => a + b, 0);
  const retryable = Object.entries(totals.rejected).filter(([code]) => traffic.isRetryable(code)).reduce((n, [, c]) => n + c, 0);
  const unanswered = totals.sent - totals.acknowledged - rejected;
  const latency = traffic.latency.summary();
  return {
    name: 'overload (3x)',
    parameters: { offeredPerSecond: offered, servedPerSecond, seconds: round(seconds, 1) },
    figures: { acknowledged: totals.acknowledged, storedMessages: stored, retryableRejections: retryable, unanswered },
    totals,
    latencyMs: latency,
    latencyHistogram: { boundsMs: latencyBoundsMs, counts: traffic.latency.histogram(latencyBoundsMs) },
    checks: [
      { what: 'acknowledged but not stored', target: '0', actual: String(Math.max(0, totals.acknowledged - stored)), pass: stored >= totals.acknowledged },
      { what: 'refusals that are not retryable', target: '0', actual: String(rejected - retryable), pass: rejected === retryable },
      { what: 'sends never answered', target: '0', actual: String(unanswered), pass: unanswered === 0 },
      { what: 'admitted p99 bounded', target: '< 2000 ms (gateway wait bound 1000 ms + handling)', actual: `${latency.p99} ms`, pass: latency.p99 < 2000 },
      { what: 'duplicated', target: '0', actual: String(totals.duplicated), pass: totals.duplicated === 0 },
    ],
  };
}

async function countStored(api: ChatApi, conversationId: string, token: string): Promise<number> {
  let count = 0;
  let after = 0;
  for (;;) {
    const page = await api.request<{ messages: { seq: number }[]; has_more: boolean }>(
      'GET',
      `/conversations/${conversationId}/messages?limit=200&after_seq=${after}`,
      undefined,
      token,
    );
    count += page.messages.length;
    if (!page.has_more || page.messages.length === 0) return count;
    after = page.messages[page.messages.length - 1]!.seq;
  }
}
