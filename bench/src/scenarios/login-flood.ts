import { randomBytes } from 'node:crypto';
import { progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { Samples } from '../stats';

/** Two client addresses, told apart by X-Forwarded-For (the scenario's stack trusts its loopback proxy). */
const flooderAddress = '198.51.100.66';
const memberAddress = '198.51.100.77';
const password = 'bench-password-1';
const baselineSeconds = 5;
/** A person logs in now and then, not back to back. */
const memberPauseMs = 100;

/**
 * The stack this scenario needs: argon2 at its default cost and the default per-address limits
 * (the bench's usual stack makes argon2 cheap and lifts those), X-Forwarded-For believed from loopback.
 */
export const loginFloodStackEnv = {
  ARGON2_MEMORY_KIB: '65536',
  ARGON2_TIME_COST: '3',
  TRUSTED_PROXIES: 'loopback',
  RATE_LIMIT_PER_IP: '3000',
  RATE_LIMIT_LOGINS_IN_FLIGHT_PER_IP: '1',
  RATE_LIMIT_LOGINS_WAITING_PER_IP: '10',
};

type Statuses = Record<string, number>;

/**
 * Issue #15.3: one address floods wrong-password logins (`concurrency` at once, a fresh name each,
 * at most `floodPerSecond`, the default per-address request limit) while another address logs in
 * with the right password; the member's login latency, alone and under the flood, and what each
 * address was answered.
 */
export async function loginFlood(ctx: ScenarioContext, concurrency = 40, floodPerSecond = 50): Promise<ScenarioResult> {
  const gateway = ctx.target.gateways[0]!;
  const member = `bflood${randomBytes(3).toString('hex')}`;
  const created = await postCredentials(gateway, '/auth/signup', member, password, memberAddress);
  if (created.status !== 201) throw new Error(`signup of the member answered ${created.status}`);

  const baseline = await memberLogins(gateway, member, baselineSeconds * 1000);
  const flood: Statuses = {};
  const stopProgress = progress('login-flood', () => `flood ${JSON.stringify(flood)}`);
  const until = Date.now() + ctx.durationSeconds * 1000;
  const [underFlood] = await Promise.all([
    memberLogins(gateway, member, ctx.durationSeconds * 1000),
    ...Array.from({ length: concurrency }, (_, worker) => floodWorker(gateway, worker, until, concurrency / floodPerSecond, flood)),
  ]);
  stopProgress();

  const alone = baseline.latency.summary();
  const flooded = underFlood.latency.summary();
  const refusedMembers = Object.entries(underFlood.statuses).reduce((n, [status, count]) => (status === '200' ? n : n + count), 0);
  return {
    name: 'login flood',
    parameters: { floodConcurrency: concurrency, floodPerSecond, seconds: ctx.durationSeconds, argon2: 'default cost (64 MiB, t=3)' },
    figures: {
      memberP50AloneMs: alone.p50,
      memberP99AloneMs: alone.p99,
      memberP50FloodedMs: flooded.p50,
      memberP99FloodedMs: flooded.p99,
      memberLogins: JSON.stringify(underFlood.statuses),
      floodReplies: JSON.stringify(flood),
    },
    latencyMs: flooded,
    checks: [
      { what: 'member logins refused under the flood', target: '0', actual: String(refusedMembers), pass: refusedMembers === 0 },
      { what: 'member login p99 under the flood', target: '< 1000 ms', actual: `${flooded.p99} ms`, pass: flooded.p99 < 1000 },
      { what: 'flood refused before argon2 (429)', target: '> 0', actual: String(flood['429'] ?? 0), pass: (flood['429'] ?? 0) > 0 },
    ],
  };
}

async function memberLogins(gateway: string, username: string, forMs: number): Promise<{ latency: Samples; statuses: Statuses }> {
  const latency = new Samples();
  const statuses: Statuses = {};
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    const started = performance.now();
    const { status } = await postCredentials(gateway, '/auth/login', username, password, memberAddress);
    // Refusals come back at once: they are counted, and only logins that worked are timed.
    if (status === 200) latency.add(performance.now() - started);
    statuses[status] = (statuses[status] ?? 0) + 1;
    await sleep(memberPauseMs);
  }
  return { latency, statuses };
}

/** Sends a wrong password under a new name at most once per `intervalSeconds`, so the names never lock. */
async function floodWorker(gateway: string, worker: number, until: number, intervalSeconds: number, replies: Statuses): Promise<void> {
  for (let i = 0; Date.now() < until; i++) {
    const started = Date.now();
    const { status } = await postCredentials(gateway, '/auth/login', `sprayed_${worker}_${i}`, 'not-the-password', flooderAddress);
    replies[status] = (replies[status] ?? 0) + 1;
    await sleep(intervalSeconds * 1000 - (Date.now() - started));
  }
}

async function postCredentials(gateway: string, path: string, username: string, secret: string, address: string): Promise<{ status: number }> {
  const res = await fetch(`${gateway}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': address },
    body: JSON.stringify({ username, password: secret }),
  });
  await res.arrayBuffer();
  return { status: res.status };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
