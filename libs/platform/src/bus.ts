import { DomainError, RpcFailure, describeZodError, partitionOf, partitionSubject, type RpcContract } from '@pneumatic/contracts';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { connect, headers as natsHeaders, type Msg, type MsgHdrs, type Subscription } from 'nats';
import type { BusTransport } from './in-process-nats';
import { NoReply, ReplyInbox } from './reply-inbox';

export type { Subscription } from 'nats';
import { z } from 'zod';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { natsServers } from './config';
import { isDatabaseUnreachable } from './database';
import { tracer } from './telemetry';

export interface BusOptions {
  /** One NATS server, or several of one cluster comma-separated. */
  url: string;
  /** Prepended to every subject, so deployments (and test suites) sharing a NATS server never see each other. */
  prefix: string;
  name: string;
  logger: Logger;
  metrics: Metrics;
  requestTimeoutMs?: number;
  /**
   * How many partitions requests of partitioned contracts are spread over (MESSAGES_PARTITIONS):
   * each goes to its partition's subject, served by the one replica owning it. Unset, they go to
   * the contract's own subject, which every replica serves.
   */
  partitions?: number;
}

export interface ServeOptions {
  queue: string;
  /** Requests handled at once; past it the caller is told `overloaded` instead of queueing without bound. */
  maxInFlight?: number;
  /** Serves this partition's subject of a partitioned contract instead of the contract's own. */
  partition?: number;
}

type Rpc = RpcContract<z.ZodType, z.ZodType>;
type Handler<C extends Rpc> = (request: z.infer<C['request']>) => Promise<z.input<C['reply']>>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (value: unknown) => encoder.encode(JSON.stringify(value));
const decode = (data: Uint8Array): unknown => JSON.parse(decoder.decode(data));

// W3C trace context (traceparent, tracestate) travels in NATS message headers.
const headerSetter: TextMapSetter<MsgHdrs> = { set: (carrier, key, value) => carrier.set(key, value) };
const headerGetter: TextMapGetter<MsgHdrs | undefined> = {
  get: (carrier, key) => carrier?.get(key) || undefined,
  keys: (carrier) => carrier?.keys() ?? [],
};

/** Headers carrying the active trace context, or none when nothing is being traced. */
function traceHeaders(active: Context): MsgHdrs | undefined {
  const carrier = natsHeaders();
  propagation.inject(active, carrier, headerSetter);
  return carrier.keys().length > 0 ? carrier : undefined;
}

const messagingAttributes = (subject: string) => ({ 'messaging.system': 'nats', 'messaging.destination.name': subject });

/** What the bus was sending when the transport refused it. */
type WriteKind = 'reply' | 'request' | 'publish';

const isNoResponders = (err: unknown) => err instanceof NoReply && err.reason === 'no_responders';

/** The NATS client's (and the in-process broker's) refusal of a message over the server's max_payload. */
const isTooLarge = (err: unknown) => (err as { code?: string } | undefined)?.code === 'MAX_PAYLOAD_EXCEEDED';

/** The small answer sent instead of a reply the transport refused as too large. */
const tooLargeReply = () => encode(failure('too_large', 'the reply exceeds the maximum NATS message size; ask for less'));

/** The NATS adapter: typed request/reply and publish/subscribe, with the deployment's subject prefix. */
export class Bus {
  private isConnected = true;
  /** Writes asked for during this turn of the event loop; they reach the socket together (see `send`). */
  private outbox: Write[] = [];
  private readonly replies: ReplyInbox;

  private constructor(
    private readonly nc: BusTransport,
    private readonly options: Omit<BusOptions, 'url'>,
  ) {
    this.replies = new ReplyInbox(nc);
  }

  static async connect(options: BusOptions): Promise<Bus> {
    const nc = await connect({
      servers: natsServers(options.url),
      name: options.name,
      // Forever, to any server of the list or that the cluster announces: a node that dies or
      // restarts moves its clients to the others.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    return Bus.over(nc, options);
  }

  /** A bus over a connection made elsewhere: the embedded mode's in-process broker. */
  static over(transport: BusTransport, options: Omit<BusOptions, 'url'>): Bus {
    const bus = new Bus(transport, options);
    void bus.logStatus();
    return bus;
  }

  get connected(): boolean {
    return this.isConnected && !this.nc.isClosed();
  }

  subject(subject: string): string {
    return `${this.options.prefix}.${subject}`;
  }

  /** Answers requests on a contract's subject; expected failures travel back as data, never as timeouts. */
  serve<C extends Rpc>(contract: C, handler: Handler<C>, { queue, maxInFlight = 1000, partition }: ServeOptions): Subscription {
    const { logger, metrics } = this.options;
    let inFlight = 0;
    const subject = partition === undefined ? contract.subject : partitionSubject(contract.subject, partition);
    return this.nc.subscribe(this.subject(subject), {
      queue,
      callback: (err, msg) => {
        if (err) return logger.error({ err, subject: contract.subject }, 'subscription failed');
        const reply = (body: unknown, outcome: string) => {
          metrics.rpcServed.inc({ subject: contract.subject, outcome });
          if (msg.reply) this.send({ kind: 'reply', subject: contract.subject, write: () => this.respond(msg, contract.subject, body) });
        };
        if (inFlight >= maxInFlight) {
          return reply(failure('overloaded', 'service is shedding load, retry later'), 'overloaded');
        }
        inFlight++;
        const parent = propagation.extract(context.active(), msg.headers, headerGetter);
        const span = tracer().startSpan(contract.subject, { kind: SpanKind.SERVER, attributes: messagingAttributes(contract.subject) }, parent);
        context
          .with(trace.setSpan(parent, span), () => this.handle(contract, handler, msg.data))
          .then(([body, outcome]) => {
            span.setAttribute('rpc.outcome', outcome);
            if (outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
            reply(body, outcome);
          })
          .finally(() => {
            span.end();
            inFlight--;
          });
      },
    });
  }

  private async handle<C extends Rpc>(contract: C, handler: Handler<C>, data: Uint8Array): Promise<[unknown, string]> {
    try {
      const parsed = contract.request.safeParse(decode(data));
      if (!parsed.success) return [failure('validation_error', describeZodError(parsed.error)), 'invalid'];
      const result = await handler(parsed.data as z.infer<C['request']>);
      return [{ ok: true, data: result }, 'ok'];
    } catch (err) {
      if (err instanceof DomainError) return [failure(err.code, err.detail), err.code];
      if (isDatabaseUnreachable(err)) {
        this.options.logger.warn({ err, subject: contract.subject }, 'request failed: the database is unreachable');
        return [failure('unavailable', 'the database is unreachable, retry later'), 'unavailable'];
      }
      this.options.logger.error({ err, subject: contract.subject }, 'request handler failed');
      return [failure('internal_error', 'internal error'), 'error'];
    }
  }

  /** Sends a request and returns the validated reply; a failure reply is thrown as a DomainError. */
  async call<C extends Rpc>(contract: C, request: z.input<C['request']>, timeoutMs?: number): Promise<z.infer<C['reply']>> {
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    const span = tracer().startSpan(contract.subject, { kind: SpanKind.CLIENT, attributes: messagingAttributes(contract.subject) });
    try {
      const options = { timeoutMs: timeoutMs ?? this.options.requestTimeoutMs ?? 5000, headers: traceHeaders(trace.setSpan(context.active(), span)) };
      const msg = await this.ask(contract, request, options).catch((err: unknown) => {
        // One log line per failure: a refused write is the bus's, a missing answer the responder's.
        if (err instanceof NoReply) this.options.logger.warn({ err, subject: contract.subject }, 'request got no reply');
        else this.writeFailed({ kind: 'request', subject: contract.subject }, err);
        if (isTooLarge(err)) {
          outcome = 'too_large';
          throw new DomainError('too_large', 'the request exceeds the maximum NATS message size');
        }
        outcome = 'unavailable';
        throw new DomainError('unavailable', `${contract.subject.split('.')[0]} service is unavailable, retry later`);
      });
      const body = decode(msg.data) as { ok: boolean; data?: unknown };
      if (!body.ok) {
        const { error } = RpcFailure.parse(body);
        outcome = error.code;
        throw new DomainError(error.code, error.detail);
      }
      return contract.reply.parse(body.data) as z.infer<C['reply']>;
    } finally {
      span.setAttribute('rpc.outcome', outcome);
      if (outcome === 'unavailable') span.setStatus({ code: SpanStatusCode.ERROR, message: 'no reply' });
      span.end();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.options.metrics.rpcDuration.observe({ subject: contract.subject, outcome }, seconds);
    }
  }

  /**
   * A partitioned request goes to its partition's owner. One nobody owns at this moment (its
   * replica died, or is handing it over) is served by any replica, the careful way, rather than
   * refused: NATS answers "no responders" at once, so the second try costs one round trip.
   */
  private async ask(contract: Rpc, request: unknown, options: { timeoutMs: number; headers?: MsgHdrs }): Promise<Msg> {
    const data = encode(request);
    const owner = this.ownerSubject(contract, request);
    if (owner) {
      try {
        return await this.request(owner, data, options);
      } catch (err) {
        if (!isNoResponders(err)) throw err;
      }
    }
    return this.request(contract.subject, data, options);
  }

  /** A request on `subject` (before the prefix), leaving with the rest of this turn's writes. */
  private request(subject: string, data: Uint8Array, options: { timeoutMs: number; headers?: MsgHdrs }): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) =>
      this.send({ kind: 'request', subject, write: () => this.replies.request(this.subject(subject), data, options).then(resolve, reject) }),
    );
  }

  /** The partition subject a request of a partitioned contract goes to first, when this bus partitions. */
  private ownerSubject(contract: Rpc, request: unknown): string | undefined {
    const { partitions } = this.options;
    if (!contract.partitionKey || !partitions) return undefined;
    const key = (request as Record<string, unknown>)[contract.partitionKey];
    return typeof key === 'string' ? partitionSubject(contract.subject, partitionOf(key, partitions)) : undefined;
  }

  publish(subject: string, payload: unknown): void {
    this.publishRaw(subject, encode(payload));
  }

  /** Publishes bytes already serialized, so a fan-out event is encoded once however many hear it. */
  publishRaw(subject: string, data: Uint8Array): void {
    const span = tracer().startSpan(subject, { kind: SpanKind.PRODUCER, attributes: messagingAttributes(subject) });
    try {
      const headers = traceHeaders(trace.setSpan(context.active(), span));
      this.send({ kind: 'publish', subject, write: () => this.nc.publish(this.subject(subject), data, { headers }) });
    } finally {
      span.end();
    }
  }

  /** Subscribes with a schema: payloads that fail it are logged and dropped, never handed on. */
  subscribe<S extends z.ZodType>(
    subject: string,
    schema: S,
    handler: (payload: z.infer<S>, subject: string, raw: Uint8Array) => void,
    queue?: string,
  ): Subscription {
    const prefixLength = this.options.prefix.length + 1;
    return this.nc.subscribe(this.subject(subject), {
      queue,
      callback: (err, msg) => {
        if (err) return this.options.logger.error({ err, subject }, 'subscription failed');
        let payload: unknown;
        try {
          payload = decode(msg.data);
        } catch {
          return this.options.logger.warn({ subject: msg.subject }, 'dropped a payload that is not JSON');
        }
        const parsed = schema.safeParse(payload);
        if (!parsed.success) {
          return this.options.logger.warn({ subject: msg.subject, issue: describeZodError(parsed.error) }, 'dropped an invalid payload');
        }
        const parent = propagation.extract(context.active(), msg.headers, headerGetter);
        const span = tracer().startSpan(subject, { kind: SpanKind.CONSUMER, attributes: messagingAttributes(subject) }, parent);
        try {
          context.with(trace.setSpan(parent, span), () => handler(parsed.data, msg.subject.slice(prefixLength), msg.data));
        } finally {
          span.end();
        }
      },
    });
  }

  async flush(): Promise<void> {
    this.writeOutbox();
    await this.nc.flush();
  }

  async close(): Promise<void> {
    this.writeOutbox();
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  /**
   * Defers a write to the end of this event-loop turn. The NATS client flushes its buffer once per
   * microtask checkpoint, and node runs one after every socket event, so under load each request
   * from each WebSocket frame would cost its own write syscall; queued here, every write asked for
   * while this turn's sockets were read leaves in one.
   */
  private send(write: Write): void {
    if (this.outbox.push(write) === 1) setImmediate(this.writeOutbox);
  }

  /** Runs the queued writes; one the transport refuses is reported and never escapes to crash the process. */
  private readonly writeOutbox = (): void => {
    const writes = this.outbox;
    this.outbox = [];
    for (const write of writes) {
      try {
        write.write();
      } catch (err) {
        this.writeFailed(write, err);
      }
    }
  };

  /**
   * Answers a request. A reply too big for NATS (or refused otherwise) must not leave the
   * requester waiting for a timeout: a too-large one is replaced by a small `too_large` failure.
   */
  private respond(msg: Msg, subject: string, body: unknown): void {
    try {
      msg.respond(encode(body));
    } catch (err) {
      if (!isTooLarge(err)) throw err;
      this.writeFailed({ kind: 'reply', subject }, err);
      msg.respond(tooLargeReply());
    }
  }

  /** One structured line and one count per message the transport refused. */
  private writeFailed({ kind, subject }: Pick<Write, 'kind' | 'subject'>, err: unknown): void {
    const reason = (err as { code?: string } | undefined)?.code ?? 'error';
    this.options.metrics.busWriteFailures.inc({ kind, reason });
    this.options.logger.error({ err, kind, subject, reason }, 'bus write failed');
  }

  private async logStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'pingTimer') continue;
      if (status.type === 'disconnect') this.isConnected = false;
      if (status.type === 'reconnect') this.isConnected = true;
      // data is a server address, a count or a { added, deleted } server list: logged as it is.
      this.options.logger.info({ nats: status.type, data: status.data }, 'nats status');
    }
  }
}

interface Write {
  kind: WriteKind;
  /** Before the prefix; for the log line. */
  subject: string;
  write: () => void;
}

function failure(code: RpcFailure['error']['code'], detail: string): RpcFailure {
  return { ok: false, error: { code, detail } };
}
