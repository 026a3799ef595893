import {
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  connect,
  headers as natsHeaders,
  nanos,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import { natsServers } from './config';
import { gapCheckedReader, type OrderedReader } from './gap-checked-reader';
import type { Logger } from './logger';
import { ReplyInbox } from './reply-inbox';

export interface JetStreamOptions {
  /** One NATS server, or several of one cluster comma-separated. */
  url: string;
  /** The deployment's subject prefix (NATS_SUBJECT_PREFIX); it also names the stream. */
  prefix: string;
  name: string;
  logger: Logger;
  /** Copies of the events stream in a NATS cluster (EVENTS_STREAM_REPLICAS, see config.ts); unset keeps an existing stream's count. */
  replicas?: number;
}

/** One message of an event log as a consumer sees it (a JetStream JsMsg has these fields). */
export interface EventLogMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  info: { pending: number };
}

/** An ordered reader of an event log (a JetStream ordered consumer has this shape). */
export interface EventLogConsumer {
  fetch(options: { max_messages: number; expires: number }): Promise<AsyncIterable<EventLogMessage> | Iterable<EventLogMessage>>;
}

/**
 * What relays and projections need of the events stream: JetStream in the distributed mode, an
 * in-memory log in the embedded one (in-process-event-stream.ts).
 */
export interface EventLog {
  /** Appends one event unless its id was appended already; resolves once stored. */
  publish(subject: string, data: Uint8Array, eventId: string): Promise<{ seq: number; duplicate: boolean }>;
  /** Reads `subject` (before the prefix, wildcards allowed) in order from stream sequence `fromSequence`. */
  consumerFrom(subject: string, fromSequence: number): Promise<EventLogConsumer>;
  close(): Promise<void>;
}

/**
 * Deletes a deployment's events stream, if it exists, with everything in it: for test suites and
 * benchmark runs cleaning up after their own prefix, never for a deployment.
 */
export async function deleteEventStream(natsUrl: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: natsServers(natsUrl) });
  try {
    await (await nc.jetstreamManager()).streams.delete(eventStreamName(prefix)).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** A relayed event's subject before the prefix: `events.<service>.<event type>`. */
export const relayedEventSubject = (service: string, type: string) => `events.${service}.${type}`;

/** The one events stream of a deployment, e.g. `pneumatic_EVENTS` capturing `pneumatic.events.>`. */
export const eventStreamName = (prefix: string) => `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_EVENTS`;

// Long enough that a relay restarted after a crash between publish and checkpoint republishes
// inside it; projections stay idempotent beyond it (they apply monotonic updates).
const duplicateWindow = nanos(10 * 60 * 1000);
/** nats.js's default for a JetStream publish. */
const publishTimeoutMs = 5000;

/**
 * The durable side of NATS: one stream per deployment holding every event ever relayed, kept
 * without age limit so asynchronous projections can be rebuilt by replaying it. Core NATS
 * publishes on `events.>` (auth's user.registered) land in it too.
 */
export class EventStream implements EventLog {
  private readonly replies: ReplyInbox;

  private constructor(
    private readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: JetStreamOptions,
  ) {
    this.replies = new ReplyInbox(nc);
  }

  static async connect(options: JetStreamOptions): Promise<EventStream> {
    const nc = await connect({
      servers: natsServers(options.url),
      name: `${options.name}-jetstream`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      // Consumer fetches and JetStream API calls are nats.js requests, which otherwise capture stack
      // traces up front (publishes go through ReplyInbox).
      noAsyncTraces: true,
    });
    const stream = new EventStream(nc, nc.jetstream(), await nc.jetstreamManager(), options);
    await stream.ensure();
    return stream;
  }

  get name(): string {
    return eventStreamName(this.options.prefix);
  }

  subject(subject: string): string {
    return `${this.options.prefix}.${subject}`;
  }

  get connected(): boolean {
    return !this.nc.isClosed();
  }

  /**
   * Creates the stream, or brings an existing one to this configuration (idempotent across
   * replicas); an update keeps whatever this configuration leaves out (nats.js merges it).
   */
  private async ensure(): Promise<void> {
    const { replicas } = this.options;
    const config: Partial<StreamConfig> = {
      name: this.name,
      subjects: [this.subject('events.>')],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: duplicateWindow,
      ...(replicas === undefined ? {} : { num_replicas: replicas }),
    };
    try {
      await this.jsm.streams.add(config);
    } catch (err) {
      if (!/already in use/i.test(String(err))) throw err;
      await this.jsm.streams.update(this.name, config);
    }
  }

  /**
   * Publishes one event and resolves with JetStream's acknowledgement; the id dedups republished
   * copies. A plain request to the stream's subject is what `js.publish` sends too, minus its
   * per-request allocations (see reply-inbox.ts).
   */
  async publish(subject: string, data: Uint8Array, eventId: string): Promise<{ seq: number; duplicate: boolean }> {
    const headers = natsHeaders();
    headers.set('Nats-Msg-Id', eventId);
    headers.set('Nats-Expected-Stream', this.name);
    const reply = await this.replies.request(this.subject(subject), data, { timeoutMs: publishTimeoutMs, headers });
    const ack = reply.json<{ seq?: number; duplicate?: boolean; error?: { code: number; description: string } }>();
    if (ack.error || typeof ack.seq !== 'number') throw new Error(`JetStream refused the event: ${ack.error?.description ?? 'no sequence in its ack'}`);
    return { seq: ack.seq, duplicate: ack.duplicate === true };
  }

  /** An ordered reader of `subject` (before the prefix) starting at stream sequence `fromSequence`. */
  consumerFrom(subject: string, fromSequence: number): Promise<OrderedReader> {
    const open = (from: number) =>
      this.js.consumers.get(this.name, {
        filterSubjects: this.subject(subject),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Math.max(1, from),
      });
    return gapCheckedReader(open, fromSequence);
  }

  async messageCount(): Promise<number> {
    return (await this.jsm.streams.info(this.name)).state.messages;
  }

  /** Removes the stream with everything in it: for test suites' cleanup, never for a deployment. */
  async destroy(): Promise<void> {
    await this.jsm.streams.delete(this.name).catch((err) => this.options.logger.warn({ err }, 'could not delete the events stream'));
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}
