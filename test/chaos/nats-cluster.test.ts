/**
 * The chaos stack on a three-node NATS cluster (issue #21.1): every service gets the three servers
 * in NATS_URL and the events stream has 3 replicas. Under the steady load of chaos.test.ts, one
 * node (the events stream's leader) is killed -9 and later restarted; then all three are restarted
 * one at a time (SIGTERM, start, wait until it is current again), as an upgrade would. After each:
 * every acknowledged message is stored exactly once, history has no gap, every member client shows
 * exactly the stored messages after `sync`, the summaries projection catches up, every service's
 * connections moved to the live nodes, and the stream's three copies hold the same messages. The
 * longest pause in acknowledgements per fault is printed (a figure, not asserted).
 */
import { eventStreamName } from '@pneumatic/platform';
import { waitFor } from '@pneumatic/testkit';
import { ackPauses, type AckPause, type FaultMark } from './harness/ack-pauses';
import { ChatLoad } from './harness/chat-load';
import { checkDelivery, expectDelivered, type DeliveryReport } from './harness/delivery-check';
import type { NatsCluster, NatsNode } from './harness/nats-cluster';
import { PrivateInfrastructure } from './harness/private-infrastructure';
import { projectionBoundMs, projectionCatchUp } from './harness/projection-check';
import { readyBoundMs, StackUnderTest } from './harness/stack-under-test';

jest.setTimeout(240_000);

const replicas = 3;
/** StackUnderTest runs the services with NATS_SUBJECT_PREFIX=chaos. */
const stream = eventStreamName('chaos');
/** A node's clients must be connected to the others within this long after it goes away. */
const reconnectBoundMs = 30_000;
/** A restarted node must hold a current copy of the stream again within this long. */
const settleBoundMs = 60_000;
const loadBeforeMs = 3_000;
const loadBetweenMs = 3_000;
const loadAfterMs = 4_000;

let infra: PrivateInfrastructure;
let cluster: NatsCluster;
let stack: StackUnderTest;
let load: ChatLoad;
/** Every NATS connection the stack's processes hold (by client name), once all are up. */
let serviceConnections: string[];
const pauses: AckPause[] = [];
/** How many service connections each fault forced off its node. */
const moved = new Map<string, number>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The harness's own short-lived connection, which is no service's. */
const isService = (name: string) => name !== 'chaos-observer';
const servicesConnected = async () => (await cluster.connectionNames()).filter(isService);

beforeAll(async () => {
  infra = await PrivateInfrastructure.start({ natsCluster: true });
  cluster = infra.natsCluster!;
  stack = await StackUnderTest.start(infra, { EVENTS_STREAM_REPLICAS: String(replicas) });
  load = await ChatLoad.againstStack(stack);
  serviceConnections = await servicesConnected();
}, 180_000);

afterAll(async () => {
  load?.close();
  await stack?.stop();
  await infra?.stop();
  if (pauses.length === 0) return;
  console.log(
    ['fault | longest pause in acknowledgements (ms) | acknowledged in its window | service connections moved']
      .concat(pauses.map((p) => [p.fault, p.longestPauseMs, p.acknowledged, moved.get(p.fault) ?? '-'].join(' | ')))
      .join('\n'),
  );
}, 60_000);

/**
 * Takes a node down (`end`: kill -9 or SIGTERM) and waits until every service connection it held
 * is held by a live node again.
 */
async function takeDown(fault: string, node: NatsNode, end: () => Promise<void>): Promise<void> {
  moved.set(fault, (await node.connectionNames()).filter(isService).length);
  await end();
  let now: string[] = [];
  await waitFor(
    `every service connection to move off ${node.name}`,
    async () => {
      now = await servicesConnected().catch(() => []);
      return JSON.stringify(now) === JSON.stringify(serviceConnections);
    },
    reconnectBoundMs,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: expected ${serviceConnections.join(', ')}; live nodes hold ${now.join(', ')}`);
  });
}

/** Starts a node again and waits until its copy of the stream is current. */
async function restart(node: NatsNode): Promise<void> {
  await node.start();
  await cluster.streamSettled(stream, replicas, settleBoundMs);
}

interface PhaseResult {
  report: DeliveryReport;
  projectionCatchUpMs: number;
}

/** Runs the load through a sequence of faults, then checks delivery, the projection and the stream. */
async function underFaults(phase: string, faults: { fault: string; inject: () => Promise<void> }[]): Promise<PhaseResult> {
  load.start(phase);
  await sleep(loadBeforeMs);
  const marks: FaultMark[] = [];
  for (const { fault, inject } of faults) {
    marks.push({ fault, at: Date.now() });
    await inject();
    await sleep(loadBetweenMs);
  }
  await stack.allReady(readyBoundMs);
  await sleep(loadAfterMs);
  const loadStoppedAt = Date.now();
  await load.stop();
  pauses.push(...ackPauses(load, phase, marks, loadStoppedAt));
  const report = await checkDelivery(stack.httpUrl(0), load, phase);
  const projectionCatchUpMs = await projectionCatchUp(stack, load, report.storedPerConversation, projectionBoundMs);
  return { report, projectionCatchUpMs };
}

it('runs every service on the server list and the events stream on three matching copies', async () => {
  // Each service holds a bus connection; messages and conversations also a JetStream one.
  for (const name of ['auth', 'conversations', 'messages', 'presence', 'gateway-gateway-1', 'gateway-gateway-2']) {
    expect(serviceConnections).toContain(name);
  }
  expect(serviceConnections).toEqual(expect.arrayContaining(['messages-jetstream', 'conversations-jetstream']));
  const copies = await cluster.streamSettled(stream, replicas, settleBoundMs);
  expect(copies.map((c) => c.node).sort()).toEqual(cluster.nodes.map((n) => n.name));
});

it('loses nothing when the stream leader is killed -9 and later restarted', async () => {
  const victim = cluster.node(await cluster.streamLeader(stream));
  const killed = `kill -9 ${victim.name} (stream leader)`;
  const result = await underFaults('kill9-nats', [
    { fault: killed, inject: () => takeDown(killed, victim, () => victim.kill9()) },
    { fault: `restart ${victim.name}`, inject: () => restart(victim) },
  ]);
  expectDelivered(result.report);
  expect(result.projectionCatchUpMs).toBeLessThan(projectionBoundMs);
  const copies = await cluster.streamSettled(stream, replicas, settleBoundMs);
  expect(copies).toHaveLength(replicas);
});

it('loses nothing over a rolling restart of all three nodes, one at a time', async () => {
  const result = await underFaults(
    'rolling-restart',
    cluster.nodes.map((node) => ({
      fault: `rolling restart ${node.name}`,
      inject: async () => {
        await takeDown(`rolling restart ${node.name}`, node, () => node.stop());
        await restart(node);
      },
    })),
  );
  expectDelivered(result.report);
  expect(result.projectionCatchUpMs).toBeLessThan(projectionBoundMs);
  const copies = await cluster.streamSettled(stream, replicas, settleBoundMs);
  expect(copies).toHaveLength(replicas);
});
