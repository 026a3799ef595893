/**
 * A well-behaved chat client on a real WebSocket, as shared/API.md asks clients to be: sends carry a
 * client message_id and are retried with the SAME id on a retryable error, a reply timeout or a
 * lost socket; a closed socket reconnects with backoff to any live gateway and `sync`s every
 * conversation from the last seq it holds; messages are shown in seq order, a gap is held back and
 * filled by `sync`, duplicates are dropped by id. It records everything the checker needs.
 */
import WebSocket from 'ws';

export interface ChatUser {
  id: string;
  username: string;
  token: string;
}

interface WireMessage {
  id: string;
  message_id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
}

type Frame = { type: string; ref?: string | number; code?: string; message?: WireMessage; messages?: WireMessage[]; has_more?: boolean };

/** Answers after which the same message_id is sent again. Anything else is the client's own fault. */
export const retryableCodes = new Set(['unavailable', 'overloaded', 'rate_limited']);
/** Codes that end a send: the request itself was wrong. */
const finalCodes = new Set(['invalid_json', 'invalid_frame', 'validation_error', 'unknown_type', 'not_a_member', 'not_found', 'forbidden', 'conflict', 'too_large']);

interface SendAttempt {
  /** `ack`, an error code, `closed` (the socket went away) or `timeout` (no answer on an open socket). */
  outcome: string;
  at: number;
}

export interface SendRecord {
  messageId: string;
  conversationId: string;
  phase: string;
  attempts: SendAttempt[];
  acked: boolean;
}

export interface ClientOptions {
  replyTimeoutMs: number;
  sendDeadlineMs: number;
  /** Passed to every `new WebSocket` (e.g. `localAddress`, `createConnection`). */
  socket?: WebSocket.ClientOptions;
  /**
   * Gives up on a socket that heard nothing (no frame, ping or pong) for this long, as a client on
   * a flaky network must: a blackholed socket never closes by itself. An app `ping` every quarter of
   * it keeps a healthy socket talking.
   */
  silenceMs?: number;
  /**
   * After a reconnect, hold sends until `sync` has caught every conversation up, as a client that
   * shows what it missed before it flushes its outbox: a group of clients back from an outage then
   * does not bury its catch-up under its own backlog of sends.
   */
  sendAfterCatchUp?: boolean;
}

/** One socket session: when it opened, when `sync` had caught every conversation up, how it ended. */
export interface SessionRecord {
  openedAt: number;
  caughtUpAt?: number;
  closedAt?: number;
  /** `silence`: heard nothing for `silenceMs`; `cut`: the client cut it on purpose; `peer`: the server or the network closed it. */
  closedBy?: 'silence' | 'cut' | 'peer';
  /** The WebSocket close code, e.g. 1012 from a draining gateway. */
  closeCode?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ChatClient {
  /** Every message seen, by conversation and seq (the first id seen for that seq). */
  readonly seen = new Map<string, Map<number, string>>();
  /** What the user was shown: ids in seq order, index i holding seq i + 1. */
  readonly shown = new Map<string, string[]>();
  readonly sends: SendRecord[] = [];
  readonly stats = { sessions: 0, duplicateFrames: 0, seqConflicts: 0, liveOutOfOrder: 0, liveGaps: 0 };
  readonly violations: string[] = [];
  readonly sessionLog: SessionRecord[] = [];

  private ws: WebSocket | undefined;
  private stopped = false;
  private gateway: number;
  private backoffMs = 200;
  /** After a `cut`, the client stays offline until then. */
  private awayUntil = 0;
  private heardAt = 0;
  private readonly held = new Map<string, Map<number, string>>();
  private readonly acked = new Set<string>();
  private readonly errors = new Map<string, string>();
  private readonly replies = new Map<string, Frame>();
  /** The socket each conversation is being synced on: a new socket syncs again whatever an old one was doing. */
  private readonly syncing = new Map<string, WebSocket>();
  /** Last live seq per conversation in the current session: live frames must come in order. */
  private liveLast = new Map<string, number>();
  private waiters: (() => void)[] = [];
  private refs = 0;

  constructor(
    readonly label: string,
    readonly user: ChatUser,
    readonly conversations: string[],
    private readonly urls: string[],
    startGateway: number,
    private readonly options: ClientOptions,
  ) {
    this.gateway = startGateway;
    for (const c of conversations) {
      this.seen.set(c, new Map());
      this.shown.set(c, []);
      this.held.set(c, new Map());
    }
  }

  connect(): Promise<boolean> {
    this.dial();
    return this.until(() => this.open, 20_000);
  }

  get connected(): boolean {
    return this.open;
  }

  /**
   * Only an OPEN socket takes frames. One the server is closing (a gateway draining with 1012), or
   * one this client gave up on, is CLOSING until its 'close' event: counting it as open would make a
   * send retry it without pause.
   */
  private get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  private get mayTransmit(): boolean {
    const session = this.sessionLog[this.sessionLog.length - 1];
    return this.open && (!this.options.sendAfterCatchUp || session?.caughtUpAt !== undefined);
  }

  /** How many messages of the conversation are shown, in order from seq 1. */
  shownCount(conversationId: string): number {
    return this.shown.get(conversationId)!.length;
  }

  /** Cuts its own socket (a clean TCP close) and stays offline for `offlineMs` before reconnecting. */
  cut(offlineMs: number): void {
    if (!this.ws || !this.open) return;
    this.awayUntil = Date.now() + offlineMs;
    this.abandon(this.ws, 'cut');
  }

  close(): void {
    this.stopped = true;
    this.ws?.close();
    this.wake();
  }

  /** Sends one message, retrying with the same id until acknowledged or the deadline passes. */
  async send(messageId: string, conversationId: string, content: string, phase: string): Promise<SendRecord> {
    const record: SendRecord = { messageId, conversationId, phase, attempts: [], acked: false };
    this.sends.push(record);
    const deadline = Date.now() + this.options.sendDeadlineMs;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      if (!(await this.until(() => this.mayTransmit || this.acked.has(messageId), deadline - Date.now()))) break;
      if (this.acked.has(messageId)) break;
      const ws = this.ws!;
      const ref = `${messageId}#${attempt}`;
      if (!this.transmit(ws, { type: 'message', message_id: messageId, conversation_id: conversationId, content, ref })) {
        // The socket is closing but 'close' has not come yet: wait for it (retrying at once would
        // spin on microtasks and starve the very event loop that delivers 'close').
        await this.until(() => this.ws !== ws, this.options.replyTimeoutMs);
        continue;
      }
      await this.until(() => this.acked.has(messageId) || this.errors.has(ref) || this.ws !== ws, this.options.replyTimeoutMs);
      const outcome = this.acked.has(messageId) ? 'ack' : (this.errors.get(ref) ?? (this.ws !== ws ? 'closed' : 'timeout'));
      this.errors.delete(ref);
      record.attempts.push({ outcome, at: Date.now() });
      if (outcome === 'ack' || finalCodes.has(outcome)) break;
      await sleep(Math.min(200 * 2 ** attempt, 2000) * (0.5 + Math.random()));
    }
    record.acked = this.acked.has(messageId);
    return record;
  }

  /** Catches up every conversation to at least `expected` messages (the stored count), by `sync`. */
  async catchUp(expected: Map<string, number>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const behind = this.conversations.filter((c) => this.shownCount(c) < (expected.get(c) ?? 0));
      if (behind.length === 0) return true;
      if (Date.now() > deadline) return false;
      const ws = this.ws;
      if (ws && this.open) await Promise.all(behind.map((c) => this.syncConversation(c, ws)));
      // A sync already running on this socket returns at once above: wait for its frames (or a close) instead.
      await this.until(() => this.open && this.conversations.every((c) => this.shownCount(c) >= (expected.get(c) ?? 0)), Math.min(1000, deadline - Date.now()));
    }
  }

  private dial(): void {
    if (this.stopped) return;
    const url = this.urls[this.gateway % this.urls.length]!;
    // No compression offer: the gateway declines it anyway, and thousands of clients share one process.
    const ws = new WebSocket(`${url}/ws?token=${this.user.token}`, { perMessageDeflate: false, ...this.options.socket });
    this.ws = ws;
    let session: SessionRecord | undefined;
    ws.on('open', () => {
      this.backoffMs = 200;
      this.stats.sessions++;
      this.liveLast = new Map();
      const opened: SessionRecord = (session = { openedAt: Date.now() });
      this.sessionLog.push(opened);
      this.wake();
      this.watchSilence(ws);
      void Promise.all(this.conversations.map((c) => this.syncConversation(c, ws))).then(() => {
        if (this.ws !== ws) return;
        opened.caughtUpAt = Date.now();
        this.wake();
      });
    });
    ws.on('message', (data) => this.receive(JSON.parse(data.toString()) as Frame));
    for (const event of ['message', 'ping', 'pong'] as const) ws.on(event, () => (this.heardAt = Date.now()));
    ws.on('error', () => undefined); // 'close' follows
    ws.on('close', (code) => {
      if (session) {
        session.closeCode = code;
        if (session.closedAt === undefined) Object.assign(session, { closedAt: Date.now(), closedBy: 'peer' });
      }
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.wake();
      if (this.stopped) return;
      // Try the other gateway next: the one we were on may be the one that died.
      this.gateway++;
      const delay = Math.max(this.backoffMs * (0.5 + Math.random()), this.awayUntil - Date.now());
      this.backoffMs = Math.min(this.backoffMs * 2, 3000);
      setTimeout(() => this.dial(), delay);
    });
  }

  private endSession(closedBy: NonNullable<SessionRecord['closedBy']>): void {
    const session = this.sessionLog[this.sessionLog.length - 1];
    if (session && session.closedAt === undefined) Object.assign(session, { closedAt: Date.now(), closedBy });
  }

  /** Drops a socket on the client's own decision; 'close' follows and reconnects. */
  private abandon(ws: WebSocket, closedBy: 'silence' | 'cut'): void {
    this.endSession(closedBy);
    // terminate() makes it CLOSING at once: `connected` and new sends see it before 'close' comes.
    ws.terminate();
    this.wake();
  }

  /** With `silenceMs`, pings the server and terminates the socket once nothing was heard for that long. */
  private watchSilence(ws: WebSocket): void {
    const { silenceMs } = this.options;
    if (!silenceMs) return;
    this.heardAt = Date.now();
    const timer = setInterval(() => {
      if (this.ws !== ws || !this.open) return clearInterval(timer);
      if (Date.now() - this.heardAt <= silenceMs) return void this.transmit(ws, { type: 'ping' });
      clearInterval(timer);
      this.abandon(ws, 'silence');
    }, silenceMs / 4);
  }

  private transmit(ws: WebSocket, frame: Record<string, unknown>): boolean {
    if (ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame), () => undefined);
    return true;
  }

  /** Asks for everything after what is shown, page by page, retrying while this socket lives. */
  private async syncConversation(conversationId: string, ws: WebSocket): Promise<void> {
    if (this.syncing.get(conversationId) === ws) return;
    this.syncing.set(conversationId, ws);
    try {
      while (this.ws === ws && !this.stopped) {
        const ref = `sync-${this.label}-${++this.refs}`;
        if (!this.transmit(ws, { type: 'sync', conversation_id: conversationId, after_seq: this.shownCount(conversationId), ref })) return;
        await this.until(() => this.replies.has(ref) || this.errors.has(ref) || this.ws !== ws, this.options.replyTimeoutMs);
        const reply = this.replies.get(ref);
        this.replies.delete(ref);
        this.errors.delete(ref);
        if (!reply) {
          await sleep(500 + Math.random() * 500);
          continue;
        }
        for (const m of reply.messages ?? []) this.accept(m);
        if (!reply.has_more && this.held.get(conversationId)!.size === 0) return;
      }
    } finally {
      if (this.syncing.get(conversationId) === ws) this.syncing.delete(conversationId);
    }
  }

  private receive(frame: Frame): void {
    const ref = frame.ref === undefined ? undefined : String(frame.ref);
    if (frame.type === 'error' && ref) this.errors.set(ref, frame.code ?? 'unknown');
    else if (frame.type === 'sync' && ref) this.replies.set(ref, frame);
    else if (frame.type === 'message' && frame.message) {
      // A reply to a retried send (it carries our ref) comes straight back, outside the ordered feed.
      if (ref === undefined) this.checkLiveOrder(frame.message);
      this.accept(frame.message);
    }
    this.wake();
  }

  private checkLiveOrder(m: WireMessage): void {
    const last = this.liveLast.get(m.conversation_id);
    if (last !== undefined && m.seq <= last) {
      this.stats.liveOutOfOrder++;
      this.violations.push(`${this.label}: live seq ${m.seq} after ${last} in ${m.conversation_id}`);
    } else if (last !== undefined && m.seq > last + 1) {
      this.stats.liveGaps++;
      this.violations.push(`${this.label}: live seq ${m.seq} after ${last} (gap) in ${m.conversation_id}`);
    }
    this.liveLast.set(m.conversation_id, Math.max(last ?? 0, m.seq));
  }

  private accept(m: WireMessage): void {
    const seen = this.seen.get(m.conversation_id);
    if (!seen) return;
    if (m.sender_id === this.user.id) this.acked.add(m.message_id);
    const earlier = seen.get(m.seq);
    if (earlier !== undefined) {
      if (earlier === m.id) this.stats.duplicateFrames++;
      else {
        this.stats.seqConflicts++;
        this.violations.push(`${this.label}: seq ${m.seq} of ${m.conversation_id} was ${earlier}, now ${m.id}`);
      }
      return;
    }
    seen.set(m.seq, m.id);
    const shown = this.shown.get(m.conversation_id)!;
    const held = this.held.get(m.conversation_id)!;
    held.set(m.seq, m.id);
    while (held.has(shown.length + 1)) {
      shown.push(held.get(shown.length + 1)!);
      held.delete(shown.length);
    }
    for (const seq of held.keys()) if (seq <= shown.length) held.delete(seq);
    if (held.size > 0 && this.ws && this.open) void this.syncConversation(m.conversation_id, this.ws);
  }

  /** Resolves true once `ready()` holds, false after `timeoutMs`. */
  private async until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return true;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
