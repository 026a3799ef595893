/**
 * Flaky networks (issue #21.4). Clients in pairs, each conversation carrying about 2 messages a
 * second (each member sends one a second, open loop), in two parts:
 *
 * (a) clean cuts, the regression: every client cuts its own socket about every 15 s and stays off
 *     2 s, straight to the gateways on loopback;
 * (b) a bad network: the clients run in their own network namespace (flaky-link.ts), behind a veth
 *     whose nftables rules drop 2 % of packets each way and, now and then, everything of one group of
 *     clients (5 s, and once per group 12 s: longer than the server's ping bound) without any close;
 *     a relay in userspace (delay-relay.ts, since this kernel has no netem) delays what the gateways
 *     send 100 ms ± 50 ms; and gateway-1 is killed -9 mid-run.
 *
 * Both assert: every message stored once, every member shown every message in order, none shown
 * twice. (b) also asserts that a socket in a 12 s blackhole is closed by the server's ping within
 * 2 × WS_PING_INTERVAL_SECONDS (+1 s of timer slack), that the client gives up on it within its
 * silence bound, and that replay (link back → caught up by `sync`) has p99 ≤ 1 s. Figures are
 * printed and written to test-results/flaky-network-report.json. docs/scale-out.md, Flaky networks.
 */
import { percentile } from '@pneumatic/testkit';
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChatUser } from './harness/chat-client';
import { createConversation, signUp, type ChatConversation } from './harness/chat-load';
import { DelayRelay } from './harness/delay-relay';
import { checkDelivery, expectDelivered, type DeliveryReport } from './harness/delivery-check';
import { FlakyLink } from './harness/flaky-link';
import type { RunPlan } from './harness/flaky-clients';
import { PrivateInfrastructure } from './harness/private-infrastructure';
import { RemoteClients, type RemoteClient } from './harness/remote-clients';
import { readyBoundMs, StackUnderTest } from './harness/stack-under-test';

/** FLAKY_FULL=1: the issue's full run (1,000 clients, longer phases); FLAKY_CLIENTS and FLAKY_*_SECONDS override. */
const full = process.env.FLAKY_FULL === '1';
const clientCount = Number(process.env.FLAKY_CLIENTS ?? (full ? 1000 : 100));
const cutsSeconds = Number(process.env.FLAKY_CUTS_SECONDS ?? (full ? 90 : 35));
const badSeconds = Number(process.env.FLAKY_BAD_SECONDS ?? (full ? 120 : 55));
const groups = full ? 20 : 8;

const sendEveryMs = 1000;
const cuts = { everyMs: 15_000, offlineMs: 2_000 };
const lossPercent = 2;
const delay = { delayMs: 100, jitterMs: 50 };
const shortBlackholeMs = 5_000;
const longBlackholeMs = 12_000;
/** StackUnderTest sets WS_PING_INTERVAL_SECONDS=5; a socket silent since a ping is terminated at the next one. */
const serverDetectionBoundMs = 2 * 5_000 + 1_000;
const silenceMs = 2_500;
/** The client checks every quarter of `silenceMs`; 2 s more for the clients' event loop on a busy machine. */
const clientDetectionBoundMs = silenceMs * 1.25 + 2_000;
const replayBoundMs = 1_000;
/**
 * A fresh SYN every 300 ms, each attempt kept 1.5 s so the kernel's own retransmission at 1 s falls
 * between fresh ones: a SYN at most every 200 ms, at a third of the sockets a 100 ms race costs.
 */
const racing = { everyMs: 300, parallel: 5, giveUpMs: 15_000 };

jest.setTimeout(120_000 + (cutsSeconds + badSeconds) * 2_000);

let infra: PrivateInfrastructure;
let stack: StackUnderTest;
let users: ChatUser[];
let link: FlakyLink | undefined;
let relay: DelayRelay | undefined;
let clients: RemoteClients | undefined;
const figures: Record<string, unknown> = { clients: clientCount, machine: `${os.cpus().length} cores` };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((n) => n.toFixed(1)).join(' ');

const summary = (values: number[]) => ({ n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: Math.max(...values) });

beforeAll(async () => {
  infra = await PrivateInfrastructure.start();
  stack = await StackUnderTest.start(infra);
  const run = Math.random().toString(36).slice(2, 8);
  users = [];
  for (let i = 0; i < clientCount; i += 20) {
    const batch = Array.from({ length: Math.min(20, clientCount - i) }, (_, j) => signUp(stack.httpUrl(0), `flaky_${run}_${i + j}`));
    users.push(...(await Promise.all(batch)));
  }
}, 180_000);

afterAll(async () => {
  await clients?.close();
  await relay?.stop();
  link?.destroy();
  await stack?.stop();
  await infra?.stop();
  console.log(`flaky network figures (load average ${load()}):\n${JSON.stringify(figures, null, 2)}`);
  mkdirSync('test-results', { recursive: true });
  writeFileSync(path.join('test-results', 'flaky-network-report.json'), JSON.stringify(figures, null, 2));
}, 60_000);

/** Direct conversations of neighbours, starting at `offset` (0 or 1, so the two parts pair differently). */
async function pairUp(offset: number): Promise<ChatConversation[]> {
  const pairs = Array.from({ length: clientCount / 2 }, (_, i) => [users[(2 * i + offset) % clientCount]!, users[(2 * i + offset + 1) % clientCount]!] as const);
  const conversations: ChatConversation[] = [];
  for (let i = 0; i < pairs.length; i += 20) {
    conversations.push(...(await Promise.all(pairs.slice(i, i + 20).map(([a, b]) => createConversation(stack.httpUrl(0), a, '', [b])))));
  }
  return conversations;
}

function planFor(conversations: ChatConversation[], phase: string, extra: Partial<RunPlan> & { urls: string[] }, address?: (i: number) => string): RunPlan {
  const members = conversations.flatMap((c) => c.members.map((user) => ({ user, conversation: c.id })));
  return {
    phase,
    sendEveryMs,
    clients: members.map(({ user, conversation }, i) => ({ label: `${phase}-${i}`, user, conversations: [conversation], gateway: i % 2, localAddress: address?.(i) })),
    ...extra,
  };
}

/** Messages a client shows more than once (the checker compares by seq; this compares ids). */
function duplicatesShown(remote: RemoteClient[]): number {
  return remote.flatMap((c) => [...c.shown.values()]).reduce((n, ids) => n + ids.length - new Set(ids).size, 0);
}

async function checked(conversations: ChatConversation[], phase: string): Promise<DeliveryReport> {
  await clients!.stop();
  const report = await checkDelivery(stack.httpUrl(0), { conversations, clients: clients!.clients }, phase);
  figures[phase] = {
    ...report.counts,
    duplicatesShown: duplicatesShown(clients!.clients),
    duplicateFramesDropped: clients!.clients.reduce((n, c) => n + (c.stats?.duplicateFrames ?? 0), 0),
    sessions: clients!.clients.reduce((n, c) => n + c.sessionLog.length, 0),
    clientsEventLoopLag: clients!.lag,
    loadAverage: load(),
  };
  return report;
}

it('clean cuts: every member shows every message once while each client cuts its own socket every ~15 s for 2 s', async () => {
  const conversations = await pairUp(0);
  clients = await RemoteClients.start(planFor(conversations, 'cuts', { urls: stack.wsUrls(), cuts }));
  await sleep(cutsSeconds * 1000);
  const report = await checked(conversations, 'cuts');
  await clients.close();

  // Replay: from the socket open again after a cut to every conversation caught up by `sync`.
  const replays = clients.clients.flatMap((c) =>
    c.sessionLog.slice(1).flatMap((s, i) => (c.sessionLog[i]!.closedBy === 'cut' && s.caughtUpAt ? [s.caughtUpAt - s.openedAt] : [])),
  );
  const cutAtLeastOnce = clients.clients.filter((c) => c.sessionLog.some((s) => s.closedBy === 'cut')).length;
  Object.assign(figures.cuts as object, { cuts: replays.length, replayMs: summary(replays) });
  expectDelivered(report);
  expect(duplicatesShown(clients.clients)).toBe(0);
  // The first cut comes within 22.5 s (15 s ± 50 %), so every client cuts in a run of 25 s or more.
  if (cutsSeconds >= 25) expect(cutAtLeastOnce).toBe(clientCount);
  expect(replays.length).toBeGreaterThan(0);
});

/** Times are taken before nft is asked to start or end it, so both bounds are measured conservatively. */
interface Blackhole {
  group: number;
  from: number;
  to: number;
  /** How long nft took to confirm the change that ended it (the link was back somewhere within). */
  restoreMs: number;
}

/**
 * Every group gets a short blackhole, then a long one, spread over the run. gateway-1 dies 2 s after
 * the last short blackhole ended, which leaves its restart about 7 s before the first long one ends:
 * clients whose link came back while a gateway restarts would bounce off it, another fault's cost.
 */
async function badNetworkRun(): Promise<{ blackholes: Blackhole[]; killedAt: number }> {
  const started = Date.now();
  const window = badSeconds * 1000 - longBlackholeMs - 8_000;
  const plan = Array.from({ length: 2 * groups }, (_, i) => ({ group: i % groups, at: 3_000 + (i * window) / (2 * groups), ms: i < groups ? shortBlackholeMs : longBlackholeMs }));
  const lastShortEnd = plan[groups - 1]!.at + shortBlackholeMs;
  const blackholes: Blackhole[] = [];
  let killedAt = 0;
  const kill = sleep(lastShortEnd + 2_000).then(async () => {
    killedAt = Date.now();
    await stack.kill9('gateway-1');
  });
  await Promise.all([
    kill,
    ...plan.map(async ({ group, at, ms }) => {
      await sleep(at);
      const from = Date.now();
      await link!.blackhole(group);
      await sleep(ms);
      const to = Date.now();
      await link!.restore(group);
      blackholes.push({ group, from, to, restoreMs: Date.now() - to });
    }),
  ]);
  await sleep(Math.max(0, started + badSeconds * 1000 - Date.now()));
  return { blackholes: blackholes.sort((a, b) => a.from - b.from), killedAt };
}

/**
 * How long after each long blackhole began the gateway closed each WebSocket that was open into it
 * (seen at the relay: upgraded before, and the gateway's side closed first; a connection still in
 * its HTTP upgrade is not pinged, the HTTP server's timeouts govern it). Sockets of gateway-1 are left out when it
 * was killed within the bound, since then the kill closed them.
 */
function serverDetection(blackholes: Blackhole[], killedAt: number): { detected: number[]; missed: string[] } {
  const detected: number[] = [];
  const missed: string[] = [];
  for (const b of blackholes.filter((b) => b.to - b.from >= longBlackholeMs)) {
    const killedInside = killedAt >= b.from && killedAt <= b.from + serverDetectionBoundMs;
    const openInto = relay!.connections.filter(
      (c) => link!.groupOf(c.clientAddress) === b.group && (c.upgradedAt ?? Infinity) < b.from && !((c.closedByClientAt ?? c.closedByGatewayAt ?? Infinity) < b.from),
    );
    for (const c of openInto.filter((c) => !(killedInside && c.gateway === 0))) {
      const ms = (c.closedByGatewayAt ?? Infinity) - b.from;
      if (ms <= serverDetectionBoundMs) detected.push(ms);
      else missed.push(`group ${b.group}: gateway-${c.gateway + 1} closed its socket ${c.closedByGatewayAt ? `${ms} ms` : 'never'} after the blackhole began`);
    }
  }
  return { detected, missed };
}

/**
 * From each client's sessions: how soon it gave up on a socket caught in a blackhole of its group,
 * and its replay, from the link coming back to the first session after it caught up by `sync`.
 */
function clientOutcomes(blackholes: Blackhole[], groupOf: Map<string, number>) {
  const outcome = { detected: [] as number[], missed: [] as string[], replays: [] as number[], reopened: [] as number[], notReplayed: [] as string[] };
  const byBlackhole = new Map(blackholes.map((b) => [b, [] as number[]]));
  for (const c of clients!.clients) {
    for (const b of blackholes.filter((b) => b.group === groupOf.get(c.label))) {
      for (const s of c.sessionLog.filter((s) => s.openedAt < b.from && (s.closedAt ?? Infinity) >= b.from)) {
        const ms = (s.closedAt ?? Infinity) - b.from;
        if (s.closedBy === 'silence' && ms <= clientDetectionBoundMs) outcome.detected.push(ms);
        else outcome.missed.push(`${c.label}: session closed by ${s.closedBy ?? 'nobody'} ${ms} ms after the blackhole began`);
      }
      const back = c.sessionLog.find((s) => s.caughtUpAt !== undefined && s.caughtUpAt >= b.to);
      if (back) outcome.replays.push(back.caughtUpAt! - b.to), outcome.reopened.push(back.openedAt - b.to), byBlackhole.get(b)!.push(back.caughtUpAt! - b.to);
      else outcome.notReplayed.push(`${c.label} never caught up after the blackhole ending ${b.to}`);
    }
  }
  const silenced = clients!.clients.flatMap((c) => c.sessionLog.filter((s) => s.closedBy === 'silence')).length;
  // Replays of one blackhole are correlated (its clients come back together), so each is shown.
  const perBlackhole = [...byBlackhole].map(([b, ms]) => `group ${b.group} at ${b.from - blackholes[0]!.from} ms for ${b.to - b.from} ms (nft ${b.restoreMs} ms): replay p50 ${percentile(ms, 50)} max ${Math.max(...ms)}`);
  return { ...outcome, perBlackhole, silencedOutside: silenced - outcome.detected.length };
}

it('a bad network (2 % loss, 100 ± 50 ms, 5 s and 12 s blackholes, gateway-1 killed -9): all delivered once, dead sockets detected, replay p99 ≤ 1 s', async () => {
  link = await FlakyLink.create({ groups, lossPercent });
  relay = await DelayRelay.start(link.hostAddress, [stack.gatewayPort, stack.gatewayPort + 1], delay);
  const conversations = await pairUp(1);
  const plan = planFor(conversations, 'flaky', { urls: relay.wsUrls(), silenceMs, racing, sendAfterCatchUp: true }, (i) => link!.groupAddress(i % groups));
  clients = await RemoteClients.start(plan, link.exec);
  const { blackholes, killedAt } = await badNetworkRun();
  await stack.allReady(readyBoundMs);
  const report = await checked(conversations, 'flaky');
  await clients.close();
  const counters = await link.counters();
  // Of what reached the loss rule (not blackholed), the share it dropped, per direction.
  const lossShare = (d: keyof typeof counters) => (100 * counters[d].lost) / (counters[d].seen - counters[d].blackholed);

  const groupOf = new Map(plan.clients.map((c, i) => [c.label, i % groups]));
  const server = serverDetection(blackholes, killedAt);
  const client = clientOutcomes(blackholes, groupOf);
  Object.assign(figures.flaky as object, {
    packets: counters,
    lossPercent: { out: lossShare('out').toFixed(2), in: lossShare('in').toFixed(2) },
    blackholes: blackholes.length,
    longestRestoreCommandMs: Math.max(...blackholes.map((b) => b.restoreMs)),
    serverDetectionMs: summary(server.detected),
    clientDetectionMs: summary(client.detected),
    replayAfterLinkBackMs: summary(client.replays),
    /** The part of it until the socket was open again (the rest is `sync`). */
    reopenedAfterLinkBackMs: summary(client.reopened),
    silencedOutsideBlackholes: client.silencedOutside,
    killedGateway1AtMs: killedAt - blackholes[0]!.from,
    perBlackhole: client.perBlackhole,
  });

  // The kernel really dropped about 2 % each way (a sanity check of the set-up, not a tuned bound).
  for (const d of ['out', 'in'] as const) expect(Math.abs(lossShare(d) - lossPercent)).toBeLessThan(0.5);
  expectDelivered(report);
  expect(duplicatesShown(clients.clients)).toBe(0);
  expect(server.missed).toEqual([]);
  expect(server.detected.length).toBeGreaterThan(0);
  expect(client.missed).toEqual([]);
  expect(client.detected.length).toBeGreaterThan(0);
  expect(client.notReplayed).toEqual([]);
  expect(percentile(client.replays, 99)).toBeLessThanOrEqual(replayBoundMs);
});
