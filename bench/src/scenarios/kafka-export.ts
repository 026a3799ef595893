import { EventStream, createLogger } from '@pneumatic/platform';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { closeAll, populate, type Room } from '../population';
import { progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round, Samples } from '../stats';
import { sendInTurn } from './closed-loop';

export interface KafkaExportTarget {
  /** The exporter's admin base URL (its /metrics). */
  exporter: string;
  databaseUrl: string;
  /** The stack's NATS subject prefix, whose JetStream log the exporter reads. */
  prefix: string;
}

const replayScript = path.resolve(__dirname, '..', '..', '..', 'services', 'exporter', 'dist', 'replay.js');
const sources = ['conversations', 'messages', 'user'];

/**
 * The Kafka export of the stack's own events to librdkafka's mock broker (the integration tests'
 * broker). Live: the closed loop's senders run while the exporter's lag gauge is sampled, and its
 * records/s are what it kept up with. Backlog: a replay from sequence 1 re-exports everything
 * stored; how fast that drains is the export's own throughput, with no sender in the way.
 */
export async function kafkaExport(ctx: ScenarioContext, target: KafkaExportTarget, users = 20, groupSize = 2): Promise<ScenarioResult> {
  const exporter = new ExporterMetrics(target.exporter);
  await exporter.ready();
  const stream = await EventStream.connect({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix: target.prefix, name: 'bench-kafka', logger: createLogger('bench', 'warn') });
  let rooms: Room[] = [];
  const lag = new Samples();
  let sampling: { stop(): void } | undefined;
  try {
    rooms = await populate(ctx.target, 'k', users / groupSize, groupSize);
    await exporter.caughtUp(await stream.messageCount());
    const before = await exporter.exported();
    sampling = exporter.sampleLag(lag);
    const { traffic, seconds } = await sendInTurn(rooms, ctx.durationSeconds, 'kafka export, live');
    closeAll(rooms);
    rooms = [];
    const caughtUpAfterMs = await exporter.caughtUp(await stream.messageCount());
    // The relay publishes the last commits after the senders stop; counting the stream before it
    // has settled showed its tail as "repeats" (0.9 % of a 15 s run, 2026-12-02).
    const stored = await settledCount(stream);
    await exporter.caughtUp(stored);
    sampling.stop();
    const liveExported = (await exporter.exported()) - before;
    const persisted = traffic.ledger.totals().acknowledged;

    const exportedOnce = await exporter.exported();
    const drain = await replayAll(target, exporter, exportedOnce, stored);
    const perSecond = round(stored / drain.seconds, 0);
    const { p50, p99, max } = lag.summary();
    return {
      name: 'kafka export',
      parameters: { users, groupSize, seconds: round(seconds, 1), batchSize: Number(process.env.KAFKA_BATCH_SIZE ?? 500), broker: 'librdkafka mock' },
      figures: {
        storedEvents: stored,
        exportedRecords: exportedOnce,
        liveEventsPerSecond: round(liveExported / (seconds + caughtUpAfterMs / 1000), 0),
        persistedMessagesPerSecond: round(persisted / seconds, 0),
        lagP50Ms: p50,
        lagP99Ms: p99,
        lagMaxMs: max,
        lagSamples: lag.count,
        caughtUpAfterSendsMs: caughtUpAfterMs,
        backlogEventsPerSecond: perSecond,
        backlogSeconds: round(drain.seconds, 2),
        replayNoticedAfterMs: drain.noticedAfterMs,
      },
      checks: [
        // Caught up means no event is missing; records beyond the stored events are repeats (docs/operations.md, Kafka export).
        { what: 'repeated records, no fault (live)', target: '0', actual: String(exportedOnce - stored), pass: exportedOnce === stored },
        { what: 'backlog export events/s', target: '>= 5000', actual: String(perSecond), pass: perSecond >= 5000 },
        { what: 'export lag p99 under load (ms)', target: '< 1000', actual: String(p99), pass: p99 < 1000 },
      ],
    };
  } finally {
    sampling?.stop();
    closeAll(rooms);
    await stream.close();
  }
}

/** The stream's message count once it has not changed for a second. */
async function settledCount(stream: EventStream): Promise<number> {
  const deadline = Date.now() + 60_000;
  let count = await stream.messageCount();
  for (let stableSince = Date.now(); Date.now() - stableSince < 1000; ) {
    if (Date.now() > deadline) throw new Error('the events stream kept growing for a minute after the senders stopped');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await stream.messageCount();
    if (now !== count) [count, stableSince] = [now, Date.now()];
  }
  return count;
}

/** Runs the replay command from sequence 1 and waits for the exporter to send all `stored` events again. */
async function replayAll(target: KafkaExportTarget, exporter: ExporterMetrics, before: number, stored: number) {
  const env = { ...process.env, DATABASE_URL: target.databaseUrl, NATS_SUBJECT_PREFIX: target.prefix };
  await promisify(execFile)(process.execPath, [replayScript, '--from', '1'], { env });
  const replayed = Date.now();
  const done = progress('kafka export, backlog', () => '');
  try {
    // The exporter notices a replay within a fetch's expiry (1 s); the drain is timed from its first record.
    await exporter.until('the replay to start', async () => (await exporter.exported()) > before, 10);
    const started = performance.now();
    const noticedAfterMs = Date.now() - replayed;
    await exporter.until('the backlog to drain', async () => (await exporter.exported()) >= before + stored, 10);
    return { seconds: (performance.now() - started) / 1000, noticedAfterMs };
  } finally {
    done();
  }
}

/** Reads the exporter's two Kafka series from its /metrics. */
class ExporterMetrics {
  constructor(private readonly base: string) {}

  async ready(): Promise<void> {
    await this.until('the exporter to be ready', async () => (await fetch(`${this.base}/ready`).then((r) => r.status, () => 0)) === 200, 200);
  }

  /** Records Kafka acknowledged, over every source. */
  async exported(): Promise<number> {
    return (await this.series('pneumatic_kafka_exported_records_total')).reduce((sum, n) => sum + n, 0);
  }

  /** Waits until every event of the log was acknowledged and each source reports no lag; how long that took, in ms. */
  async caughtUp(stored: number): Promise<number> {
    const started = Date.now();
    let seen = '';
    await this.until(() => `the export to catch up with ${stored} events (${seen})`, async () => {
      const lag = await this.series('pneumatic_kafka_export_lag_seconds');
      const exported = await this.exported();
      seen = `exported ${exported}, lag ${lag.join(', ')}`;
      return lag.length === sources.length && lag.every((l) => l === 0) && exported >= stored;
    }, 10);
    return Date.now() - started;
  }

  /** Samples the largest source lag every 100 ms into `lag` (ms) until stopped. */
  sampleLag(lag: Samples): { stop(): void } {
    const timer = setInterval(() => {
      void this.series('pneumatic_kafka_export_lag_seconds').then((l) => l.length > 0 && lag.add(Math.max(...l) * 1000), () => undefined);
    }, 100);
    return { stop: () => clearInterval(timer) };
  }

  async until(what: string | (() => string), condition: () => Promise<boolean>, everyMs: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  private async series(name: string): Promise<number[]> {
    const text = await (await fetch(`${this.base}/metrics`)).text();
    return text.split('\n').filter((line) => line.startsWith(`${name}{`)).map((line) => Number(line.split(' ').at(-1)));
  }
}
