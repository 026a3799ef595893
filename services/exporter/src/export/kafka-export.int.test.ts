import {
  EventStream,
  appendToStreams,
  commandMetadata,
  connectDatabase,
  migrate,
  startRelay,
  withTransaction,
  type Database,
  type StreamAppend,
} from '@pneumatic/platform';
import {
  containerKafkaUnavailable,
  createTestContext,
  spawnService,
  startContainerKafka,
  startMockKafka,
  waitFor,
  type ServiceProcess,
  type TestContext,
  type TestKafka,
} from '@pneumatic/testkit';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Consumer } from 'kafkajs';

interface Received {
  key: string | null;
  partition: number;
  headers: Record<string, string>;
  value: string;
}

const topic = 'pneumatic.test.events';
const batchSize = 50;
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/**
 * The exporter as real processes, between the real Postgres event stores, relays and JetStream on
 * one side and a Kafka broker on the other; a kafkajs consumer group reads what arrived. The broker
 * is librdkafka's mock everywhere, and also a real one (testcontainers' Kafka module) where a Docker
 * engine answers; elsewhere that run is reported as skipped, with the reason, never as passed.
 */
jest.setTimeout(180_000);

describe("Kafka export to librdkafka's mock broker", () => exportSuite(() => startMockKafka()));

const noContainer = containerKafkaUnavailable();
if (noContainer) console.warn(`Kafka export to a real broker (testcontainers) skipped: ${noContainer}`);
(noContainer ? describe.skip : describe)(`Kafka export to a real broker (testcontainers)${noContainer ? `, skipped: ${noContainer}` : ''}`, () =>
  exportSuite(startContainerKafka),
);

function exportSuite(startKafka: () => Promise<TestKafka>): void {
  let ctx: TestContext;
  let kafka: TestKafka;
  let stores: Record<'messages' | 'conversations', Database>;
  let stream: EventStream;
  let stopRelays: (() => Promise<void>)[];
  let consumer: Consumer;
  let replicas: ServiceProcess[] = [];
  const received: Received[] = [];
  const conversations = Array.from({ length: 12 }, () => randomUUID());
  const versions = new Map<string, number>();
  const stored: string[] = [];

  const exporterEnv = () => ({
    ...ctx.env,
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_BATCH_SIZE: String(batchSize),
    KAFKA_LINGER_MS: '20',
    KAFKA_REQUEST_TIMEOUT_MS: '1500',
  });
  const startReplica = async () => {
    const replica = await spawnService('exporter', exporterEnv());
    replicas.push(replica);
    return replica;
  };

  /** Appends `perConversation` events to every conversation's stream in `service`'s event store, through the relay. */
  const append = async (service: 'messages' | 'conversations', perConversation: number) => {
    const appends: StreamAppend[] = conversations.map((conversationId) => {
      const at = versions.get(`${service}:${conversationId}`) ?? 0;
      versions.set(`${service}:${conversationId}`, at + perConversation);
      const type = service === 'messages' ? 'message.sent' : 'conversation.members_added';
      return {
        streamId: conversationId,
        expectedVersion: at,
        events: Array.from({ length: perConversation }, (_, i) => ({ type, schemaVersion: 1, data: { n: at + i + 1 }, metadata: commandMetadata(randomUUID(), traceparent) })),
      };
    });
    const events = await withTransaction(stores[service], (client) => appendToStreams(client, appends));
    stored.push(...events.map((e) => e.eventId));
  };
  const registerUser = async () => {
    const event = { id: randomUUID(), type: 'user.registered', version: 1, time: new Date().toISOString(), data: { user: { id: randomUUID(), username: 'u', full_name: 'U' } } };
    await stream.publish('events.user.registered', Buffer.from(JSON.stringify(event)), event.id);
    stored.push(event.id);
    return event;
  };
  const copies = () => {
    const counts = new Map<string, number>();
    for (const r of received) counts.set(r.headers['event-id']!, (counts.get(r.headers['event-id']!) ?? 0) + 1);
    return counts;
  };
  const allArrived = (what: string, timeoutMs = 60_000) =>
    waitFor(what, () => {
      const counts = copies();
      return stored.every((id) => counts.has(id));
    }, timeoutMs, 100);
  /** Whether every source's checkpoint has reached the last of its events that arrived: nothing is left to send. */
  const exportFinished = async () => {
    const sourceOf = (type: string) => ({ message: 'messages', conversation: 'conversations', user: 'user' })[type.split('.')[0]!]!;
    const last = new Map<string, number>();
    for (const r of received) last.set(sourceOf(r.headers['event-type']!), Math.max(last.get(sourceOf(r.headers['event-type']!)) ?? 0, Number(r.headers['stream-sequence'])));
    const { rows } = await stores.messages.query<{ source: string; s: string }>('SELECT source, stream_sequence::text AS s FROM exporter.kafka_export_checkpoints');
    const at = new Map(rows.map((r) => [r.source, Number(r.s)]));
    return [...last].every(([source, seq]) => (at.get(source) ?? 0) >= seq);
  };
  const metric = async (replica: ServiceProcess, name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
    return text.split('\n').filter((line) => line.startsWith(name)).map((line) => Number(line.split(' ').at(-1)));
  };

  /** Per conversation and source, the first copy of each event comes in stream order. */
  const expectPerConversationOrder = () => {
    const last = new Map<string, number>();
    const seen = new Set<string>();
    for (const r of received) {
      if (seen.has(r.headers['event-id']!)) continue;
      seen.add(r.headers['event-id']!);
      const event = JSON.parse(r.value) as { type: string; stream_version?: number };
      if (event.stream_version === undefined) continue;
      const lane = `${r.key}:${event.type}`;
      expect(event.stream_version).toBeGreaterThan(last.get(lane) ?? 0);
      last.set(lane, event.stream_version);
    }
  };

  /** Every copy of an event is the same record: same key, partition and value. */
  const expectRepeatsIdentical = () => {
    const first = new Map<string, Received>();
    for (const r of received) {
      const earlier = first.get(r.headers['event-id']!);
      if (earlier) expect({ key: r.key, partition: r.partition, value: r.value }).toEqual({ key: earlier.key, partition: earlier.partition, value: earlier.value });
      else first.set(r.headers['event-id']!, r);
    }
  };

  beforeAll(async () => {
    ctx = await createTestContext('kafka_export');
    kafka = await startKafka();
    await kafka.createTopic(topic, 3);
    const noMigrations = mkdtempSync(path.join(os.tmpdir(), 'no-migrations-'));
    stores = {
      messages: connectDatabase({ url: ctx.databaseUrl, schema: 'messages', logger: ctx.logger }),
      conversations: connectDatabase({ url: ctx.databaseUrl, schema: 'conversations', logger: ctx.logger }),
    };
    for (const [schema, db] of Object.entries(stores)) await migrate(db, schema, noMigrations, { eventStore: true });
    stream = await EventStream.connect({ url: ctx.natsUrl, prefix: ctx.natsPrefix, name: 'kafka-export-test', logger: ctx.logger });
    stopRelays = Object.entries(stores).map(([service, db]) => startRelay({ db, stream, service, logger: ctx.logger, pollIntervalMs: 20 }));
    consumer = new Kafka({ clientId: 'kafka-export-test', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: ctx.name });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        received.push({ key: message.key?.toString() ?? null, partition, headers, value: message.value!.toString() });
      },
    });
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await consumer?.disconnect();
    for (const stop of stopRelays ?? []) await stop();
    await stream?.destroy();
    await stream?.close();
    await Promise.all(Object.values(stores ?? {}).map((db) => db.end()));
    await kafka?.stop();
    await ctx?.cleanup();
  });

  it('exports every stored event exactly once with two replicas, keyed by conversation, in order, with event headers', async () => {
    await Promise.all([startReplica(), startReplica()]);
    await append('conversations', 2);
    await append('messages', 10);
    const user = await registerUser();
    await allArrived('every event in Kafka');
    await waitFor('every export to finish', exportFinished, 20_000, 100);

    expect([...copies().values()].every((n) => n === 1)).toBe(true);
    expect(received).toHaveLength(stored.length);
    expectPerConversationOrder();
    for (const r of received) {
      const event = JSON.parse(r.value) as { id: string; type: string; version: number; stream_id?: string; data: { user?: { id: string } } };
      expect(r.headers).toMatchObject({ 'event-id': event.id, 'event-type': event.type, 'schema-version': String(event.version) });
      expect(r.key).toBe(event.stream_id ?? event.data.user?.id);
      if (event.type !== 'user.registered') expect(r.headers.traceparent).toBe(traceparent);
    }
    expect(received.find((r) => r.headers['event-id'] === user.id)!.key).toBe(user.data.user.id);
    // A conversation's records share one partition whichever source they came from.
    const partitions = new Map<string, Set<number>>();
    for (const r of received) partitions.set(r.key!, (partitions.get(r.key!) ?? new Set()).add(r.partition));
    expect([...partitions.values()].every((p) => p.size === 1)).toBe(true);
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
  });

  it('loses nothing when every exporter is killed with -9 mid-export, and repeats only whole events', async () => {
    const before = received.length;
    await append('messages', 100);
    await waitFor('the export to be under way', () => received.length > before, 20_000, 5);
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    replicas = [];
    const arrived = received.length - before;
    expect(arrived).toBeLessThan(conversations.length * 100);

    await startReplica();
    await allArrived('every event after the restart');
    await waitFor('the export to finish', exportFinished, 20_000, 100);
    const repeats = [...copies().values()].reduce((sum, n) => sum + n - 1, 0);
    // At most the batch in flight per source was sent again.
    expect(repeats).toBeLessThanOrEqual(batchSize * 3);
    expectRepeatsIdentical();
    expectPerConversationOrder();
  });

  it('keeps storing while the broker is down, reports it, and resumes without skipping when it is back', async () => {
    const [replica] = replicas;
    await kafka.down();
    const inStream = await stream.messageCount();
    await append('messages', 20);
    await registerUser();
    // The send path never waits for Kafka: the relay put everything on JetStream meanwhile.
    await waitFor('the relay to publish while Kafka is down', async () => (await stream.messageCount()) === inStream + conversations.length * 20 + 1, 20_000, 50);
    await waitFor('/ready to report the broker', async () => {
      const res = await fetch(`http://127.0.0.1:${replica!.port}/ready`);
      const body = (await res.json()) as { checks: Record<string, string> };
      return res.status === 503 && body.checks.kafka === 'failing';
    }, 20_000, 200);
    await waitFor('the lag gauge to grow', async () => (await metric(replica!, 'pneumatic_kafka_export_lag_seconds{')).some((lag) => lag >= 1), 20_000, 200);

    await kafka.up();
    await allArrived('every event after the broker came back');
    await waitFor('/ready again', async () => (await fetch(`http://127.0.0.1:${replica!.port}/ready`)).status === 200, 20_000, 200);
    await waitFor('the lag gauge back to 0', async () => (await metric(replica!, 'pneumatic_kafka_export_lag_seconds{')).every((lag) => lag === 0), 20_000, 200);
    expectRepeatsIdentical();
    expectPerConversationOrder();
  });

  it('re-exports from a position with the replay command', async () => {
    await waitFor('the export to finish', exportFinished, 20_000, 100);
    const from = (await stream.messageCount()) - 9;
    const counts = copies();
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [path.resolve(__dirname, '..', '..', 'dist', 'replay.js'), '--from', String(from)], { env: { ...process.env, ...exporterEnv() } });
    expect(stdout).toMatch(new RegExp(`messages: exported up to \\d+, re-exporting from ${from}`));
    const replayed = (r: Received) => Number(r.headers['stream-sequence']) >= from;
    const wanted = new Set(received.filter(replayed).map((r) => r.headers['event-id']!));
    expect(wanted.size).toBe(10);
    await waitFor('the replayed events', () => [...wanted].every((id) => copies().get(id)! > counts.get(id)!), 20_000, 100);
    const earlier = received.filter((r) => !replayed(r)).map((r) => r.headers['event-id']!);
    expect(earlier.every((id) => copies().get(id) === counts.get(id))).toBe(true);
  });
}
