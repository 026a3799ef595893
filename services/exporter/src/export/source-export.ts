import { ReadAhead, runSingleActive, StopSignal, type Database, type EventStream, type Logger, type PoolClient } from '@pneumatic/platform';
import type { JsMsg } from 'nats';
import { Counter, Gauge } from 'prom-client';
import { toKafkaRecord, type KafkaRecord } from '../domain/kafka-record';
import { advanceCheckpoint, readCheckpoint } from '../store/export-checkpoints';

/** Where records go: a kafkajs producer in production (kafka-sink.ts). Resolves once Kafka acknowledged every record. */
export interface RecordSink {
  send(records: KafkaRecord[]): Promise<void>;
}

export interface SourceExportOptions {
  db: Database;
  stream: EventStream;
  sink: RecordSink;
  /** The source service: its events are `events.<source>.>` in the JetStream log. */
  source: string;
  logger: Logger;
  batchSize: number;
  lingerMs: number;
  standbyRetryMs?: number;
  /** Pause before sending a batch again after Kafka refused it or timed out. */
  retryMs?: number;
}

/** Per source, when the oldest event not yet acknowledged by Kafka was stored; absent when caught up or on standby. */
const behindSince = new Map<string, number>();

export const exportLag = new Gauge({
  name: 'pneumatic_kafka_export_lag_seconds',
  help: 'Age of the oldest event of a source not yet acknowledged by Kafka (0 when caught up); only the active replica reports a source',
  labelNames: ['source'] as const,
  registers: [],
  collect() {
    this.reset();
    for (const [source, since] of behindSince) this.set({ source }, since < 0 ? 0 : Math.max(0, (Date.now() - since) / 1000));
  },
});

export const exportedRecords = new Counter({
  name: 'pneumatic_kafka_exported_records_total',
  help: 'Records Kafka acknowledged, by source (repeats after a crash or replay included)',
  labelNames: ['source'] as const,
  registers: [],
});

/**
 * Exports one source's events to Kafka, at least once, in stream order. The checkpoint (last stream
 * sequence Kafka acknowledged) is written only after the acknowledgement, so a crash repeats at most
 * the batch in flight and never skips. A Postgres advisory lock keeps one replica active per source;
 * the others wait on standby. A replay that sets the checkpoint back makes the runner start over.
 */
export class SourceExport {
  private running?: Promise<void>;
  private readonly signal = new StopSignal();

  constructor(private readonly options: SourceExportOptions) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.signal.stop();
    await this.running;
  }

  private run(): Promise<void> {
    const { db, logger, source, standbyRetryMs = 2000 } = this.options;
    return runSingleActive({
      db,
      logger,
      lock: `kafka-export:${source}`,
      label: 'kafka export',
      fields: { source },
      standbyRetryMs,
      signal: this.signal,
      whileActive: async (client) => {
        while (!this.signal.stopped) await this.follow(client);
      },
      afterActive: () => behindSince.delete(source),
    });
  }

  /** Exports from the checkpoint on until stopped or until a replay moves the checkpoint. */
  private async follow(client: PoolClient): Promise<void> {
    const { stream, source, batchSize, lingerMs } = this.options;
    let checkpoint = await readCheckpoint(client, source);
    // Events keep arriving while a batch waits for Kafka; the next batch is all of them.
    const events = new ReadAhead<JsMsg>(await stream.consumerFrom(`events.${source}.>`, checkpoint + 1), { maxBatch: batchSize, idleMs: 1000 });
    behindSince.set(source, -1);
    try {
      while (!this.signal.stopped) {
        const group = await events.nextBatch();
        if (group.length === 0) {
          // Quiet: notice a replay within a second.
          if ((await readCheckpoint(client, source)) !== checkpoint) return;
          continue;
        }
        if (await this.export(client, group, checkpoint, events.buffered)) return;
        checkpoint = group.at(-1)!.seq;
        if (group.length < batchSize && lingerMs > 0) await this.signal.pause(lingerMs);
      }
    } finally {
      await events.close();
    }
  }

  /** Sends one batch until Kafka acknowledges it, then moves the checkpoint; true when a replay moved it first. */
  private async export(client: PoolClient, group: JsMsg[], checkpoint: number, moreWaiting: () => boolean): Promise<boolean> {
    const { sink, source, logger, retryMs = 1000 } = this.options;
    const mapped = group.map((msg) => toKafkaRecord(msg.data, msg.seq, msg.headers?.get('traceparent') || undefined));
    const oldest = mapped.find((m) => m.time !== undefined)?.time;
    if (oldest !== undefined && (behindSince.get(source) ?? -1) < 0) behindSince.set(source, oldest);
    for (;;) {
      try {
        await sink.send(mapped.map((m) => m.record));
        break;
      } catch (err) {
        if (this.signal.stopped) throw err;
        logger.warn({ err, source, records: group.length }, 'kafka did not acknowledge a batch; sending it again');
        await this.signal.pause(retryMs);
        // Still holding the lock? A dead connection has released it, and another replica may be exporting.
        await client.query('SELECT 1');
      }
    }
    const last = group.at(-1)!;
    const advanced = await advanceCheckpoint(client, source, checkpoint, last.seq);
    exportedRecords.inc({ source }, group.length);
    const lastTime = mapped.at(-1)!.time;
    behindSince.set(source, (last.info.pending > 0 || moreWaiting()) && lastTime !== undefined ? lastTime : -1);
    return !advanced;
  }
}
