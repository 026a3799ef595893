import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type PublishOptions, type Status, type Subscription, type SubscriptionOptions } from 'nats';

/** The part of a NATS connection the Bus uses; an in-process broker provides it without a server. */
export type BusTransport = Pick<NatsConnection, 'subscribe' | 'publish' | 'flush' | 'drain' | 'status' | 'isClosed'>;

interface Member {
  subject: string;
  tokens: string[];
  queue?: string;
  deliver: (msg: Msg) => void;
}

/** NATS subject matching: `*` is one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string[], subject: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const token = pattern[i]!;
    if (token === '>') return subject.length > i;
    if (i >= subject.length || (token !== '*' && token !== subject[i])) return false;
  }
  return pattern.length === subject.length;
}

const natsError = (message: string, code: string) => Object.assign(new Error(message), { code });

/** The NATS server's default `max_payload`: 1 MiB. */
export const natsDefaultMaxPayload = 1024 * 1024;

/** Bytes a message takes against `max_payload`, as nats.js counts them: its data plus its encoded headers. */
const payloadSize = (data: Uint8Array, headers: MsgHdrs | undefined) =>
  data.length + ((headers as (MsgHdrs & { encode(): Uint8Array }) | undefined)?.encode().length ?? 0);

/**
 * A NATS broker inside the process, for the embedded mode: core publish/subscribe with wildcards
 * and queue groups (each message reaches one member per group, every plain subscriber), and a
 * no-responders status when nobody hears a request (see reply-inbox.ts). Delivery is asynchronous
 * (a microtask), as over a socket, so a publisher never runs its subscribers' code inside its own call.
 * A message over `maxPayload` is refused at the publish as nats.js refuses it (MAX_PAYLOAD_EXCEEDED),
 * so the embedded mode meets the limit the server sets.
 */
export class InProcessNats {
  private readonly exact = new Map<string, Set<Member>>();
  private readonly wildcard = new Set<Member>();

  constructor(readonly maxPayload = natsDefaultMaxPayload) {}

  /** A connection of its own, so one service draining it leaves the others' subscriptions alone. */
  connect(): InProcessConnection {
    return new InProcessConnection(this);
  }

  /** @internal */
  add(member: Member): void {
    if (member.tokens.some((t) => t === '*' || t === '>')) this.wildcard.add(member);
    else {
      const set = this.exact.get(member.subject) ?? new Set();
      set.add(member);
      this.exact.set(member.subject, set);
    }
  }

  /** @internal */
  remove(member: Member): void {
    this.wildcard.delete(member);
    const set = this.exact.get(member.subject);
    set?.delete(member);
    if (set?.size === 0) this.exact.delete(member.subject);
  }

  /** Delivers to every plain subscriber and one member of each queue group; returns how many got it. */
  route(msg: Msg): number {
    const tokens = msg.subject.split('.');
    const plain: Member[] = [];
    const groups = new Map<string, Member[]>();
    const consider = (member: Member) => {
      if (!member.queue) return plain.push(member);
      groups.set(member.queue, [...(groups.get(member.queue) ?? []), member]);
    };
    this.exact.get(msg.subject)?.forEach(consider);
    for (const member of this.wildcard) if (subjectMatches(member.tokens, tokens)) consider(member);
    const chosen = [...plain, ...[...groups.values()].map((members) => members[Math.floor(Math.random() * members.length)]!)];
    for (const member of chosen) queueMicrotask(() => member.deliver(msg));
    return chosen.length;
  }
}

const noStatus: AsyncIterable<Status> = { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) };

/** One client of the in-process broker, shaped like the NatsConnection calls the Bus makes. */
export class InProcessConnection implements BusTransport {
  private readonly members = new Set<Member>();
  private closed = false;

  constructor(private readonly broker: InProcessNats) {}

  subscribe(subject: string, options: SubscriptionOptions = {}): Subscription {
    const callback = options.callback;
    const member: Member = {
      subject,
      tokens: subject.split('.'),
      queue: options.queue,
      deliver: (msg) => {
        if (this.members.has(member)) callback?.(null, msg);
      },
    };
    this.members.add(member);
    this.broker.add(member);
    const unsubscribe = () => {
      this.members.delete(member);
      this.broker.remove(member);
    };
    const subscription = {
      unsubscribe,
      drain: async () => unsubscribe(),
      isClosed: () => !this.members.has(member),
      getSubject: () => subject,
    };
    return subscription as unknown as Subscription;
  }

  publish(subject: string, data?: Uint8Array, options: PublishOptions = {}): void {
    const heard = this.broker.route(this.checked(subject, data ?? new Uint8Array(), options.headers, options.reply));
    // As the NATS server does for a request nobody can hear: an empty 503 status to its inbox.
    if (heard === 0 && options.reply) this.broker.route(this.message(options.reply, new Uint8Array(), natsHeaders(503, 'No Responders'), undefined));
  }

  async flush(): Promise<void> {
    // Deliveries are queued as microtasks; one macrotask later they have all run.
    await new Promise((resolve) => setImmediate(resolve));
  }

  async drain(): Promise<void> {
    await this.flush();
    this.closed = true;
    for (const member of this.members) this.broker.remove(member);
    this.members.clear();
  }

  status(): AsyncIterable<Status> {
    return noStatus;
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** A message this connection may send, refused as nats.js refuses it: on a closed connection, or over the max payload. */
  private checked(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, reply: string | undefined): Msg {
    if (this.closed) throw natsError('connection closed', 'CONNECTION_CLOSED');
    if (payloadSize(data, headers) > this.broker.maxPayload) throw natsError('maximum payload exceeded', 'MAX_PAYLOAD_EXCEEDED');
    return this.message(subject, data, headers, reply);
  }

  private message(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, reply: string | undefined): Msg {
    const msg = {
      subject,
      sid: 0,
      reply,
      data,
      headers,
      respond: (body?: Uint8Array, opts?: PublishOptions) => {
        if (!reply) return false;
        return this.broker.route(this.checked(reply, body ?? new Uint8Array(), opts?.headers, undefined)) > 0;
      },
      json: () => JSON.parse(new TextDecoder().decode(data)),
      string: () => new TextDecoder().decode(data),
    };
    return msg as unknown as Msg;
  }
}
