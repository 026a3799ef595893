import { randomUUID } from 'node:crypto';
import { DomainError, contracts, type ClientFrame, type ErrorCode, type ServerFrame } from '@pneumatic/contracts';
import type { Bus, Logger } from '@pneumatic/platform';
import type { AccessTokenVerifier } from '../auth/access-tokens';
import type { Connection } from '../domain/connection-registry';
import type { MemberDirectory } from '../domain/member-directory';
import { TokenBucket } from '../domain/token-bucket';
import { closeCodes } from './close-codes';
import type { Fanout } from './fanout';
import { parseClientFrame, parseScopedFrame } from './frame-parser';
import type { GatewayMetrics } from './gateway-metrics';
import type { TypingRelay } from './typing-relay';

export interface SessionDeps {
  bus: Bus;
  verifier: AccessTokenVerifier;
  fanout: Fanout;
  directory: MemberDirectory;
  typing: TypingRelay;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Frames waiting to be handled on one socket; past it the client is told `rate_limited`. */
  maxQueuedFrames: number;
  /**
   * How long a frame may wait behind earlier ones; an older one is answered `overloaded` instead
   * of being handled late, so what is admitted keeps a bounded latency under overload.
   */
  maxFrameWaitMs: number;
  /**
   * The least time between two pages of one socket's catch-up (after a page that said `has_more`):
   * a client that missed thousands of messages is caught up at a pace that leaves the processes on
   * its path to live traffic, instead of keeping a core busy for as long as it lasts.
   */
  syncPageIntervalMs: number;
}

/** Spends one frame of the user's allowance (shared by the user's sockets); false when it is used up. */
export type FrameAdmission = () => boolean;

const syncPageLimit = 200;
/** Typing renewals are cheap to send and costly to fan out: one a second, a few at once. */
const typingPerSecond = 1;
const typingBurst = 3;
/** setTimeout's longest wait; a later expiry is reached in steps. */
const maxTimerMs = 2 ** 31 - 1;
/** Frames answered even when the queue is late: a late `auth` would let the socket expire. */
const neverLate = new Set<ClientFrame['type']>(['ping', 'auth']);

/** Reached by no parsed frame: a frame type added to the contracts without a case fails to compile. */
const unhandled = (frame: never): never => {
  throw new Error(`no handler for frame ${JSON.stringify(frame)}`);
};

type Ref = string | number | undefined;

/**
 * One socket's conversation with the server. Frames are handled one at a time, in the order the
 * client sent them, so a client's own messages keep their order; a bad frame only earns an error.
 */
export class SocketSession {
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly typingAllowance: TokenBucket;
  private expiry: NodeJS.Timeout | undefined;
  /** When this socket's next catch-up page may be read (0: at once). */
  private nextSyncPageAt = 0;

  constructor(
    readonly connection: Connection,
    private readonly deps: SessionDeps,
    private readonly admitFrame: FrameAdmission,
  ) {
    this.typingAllowance = new TokenBucket(typingPerSecond, typingBurst, Date.now());
    this.armExpiry();
  }

  receive(data: string, byteLength: number): void {
    // The timer may lag a busy event loop; nothing is handled for an expired token meanwhile.
    if (Date.now() >= this.connection.expiresAt) return this.expire();
    if (!this.admitFrame()) return this.fail('rate_limited', 'too many frames, slow down');
    if (this.connection.scope) return this.receiveScoped(data, byteLength, this.connection.scope);
    const parsed = parseClientFrame(data, byteLength);
    if (!parsed.ok) return this.fail(parsed.code, parsed.reason, parsed.ref);
    this.enqueue(parsed.frame);
  }

  /** The socket closed: whatever it was typing stops. */
  closed(): void {
    clearTimeout(this.expiry);
    this.deps.typing.stop(this.connection);
  }

  /** A socket lives no longer than its access token (API.md); an `auth` frame moves the deadline. */
  private armExpiry(): void {
    clearTimeout(this.expiry);
    const wait = this.connection.expiresAt - Date.now();
    this.expiry = setTimeout(() => (wait > maxTimerMs ? this.armExpiry() : this.expire()), Math.max(0, Math.min(wait, maxTimerMs)));
    this.expiry.unref();
  }

  private expire(): void {
    this.connection.close(closeCodes.policy, 'token expired');
  }

  /** Renews the socket with a fresh token of the same user; anything else ends it (1008). */
  private async renew(token: string, ref: Ref): Promise<void> {
    let claims;
    try {
      claims = await this.deps.verifier.verify(token);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'unauthorized') return this.connection.close(closeCodes.policy, `authentication failed: ${err.detail}`);
      throw err;
    }
    if (claims.userId !== this.connection.userId) return this.connection.close(closeCodes.policy, 'token of another user');
    this.connection.sessionId = claims.sessionId;
    this.connection.expiresAt = claims.expiresAt;
    this.armExpiry();
    this.send({ type: 'authenticated', expires_at: new Date(claims.expiresAt).toISOString(), ref });
  }

  private receiveScoped(data: string, byteLength: number, conversationId: string): void {
    const parsed = parseScopedFrame(data, byteLength);
    if (!parsed.ok) return this.fail(parsed.code, parsed.reason);
    if ('type' in parsed.frame) return this.enqueue(parsed.frame);
    const { content, message_id = randomUUID() } = parsed.frame;
    this.enqueue({ type: 'message', conversation_id: conversationId, content, message_id });
  }

  private enqueue(frame: ClientFrame): void {
    if (this.queued >= this.deps.maxQueuedFrames) return this.fail('rate_limited', 'too many frames in flight, slow down', frame.ref);
    this.queued++;
    const arrivedAt = Date.now();
    this.queue = this.queue
      .then(() => {
        // A socket closed for being too slow (or by its client) cannot take an answer; its backlog is dropped unhandled.
        if (!this.connection.isOpen()) return;
        if (!neverLate.has(frame.type) && Date.now() - arrivedAt > this.deps.maxFrameWaitMs) {
          throw new DomainError('overloaded', 'the server is busy; retry (the same message_id is safe)');
        }
        return this.handle(frame);
      })
      .catch((err) => this.failWith(err, frame.ref))
      .finally(() => this.queued--);
  }

  private async handle(frame: ClientFrame): Promise<void> {
    const { bus, typing } = this.deps;
    const actor_id = this.connection.userId;
    switch (frame.type) {
      case 'ping':
        return this.send({ type: 'pong', timestamp: new Date().toISOString(), ref: frame.ref });
      case 'auth':
        return this.renew(frame.token, frame.ref);
      case 'join':
        await this.members(frame.conversation_id, true);
        this.connection.joined.add(frame.conversation_id);
        this.deps.fanout.follow(frame.conversation_id, actor_id);
        return this.send({ type: 'joined', conversation_id: frame.conversation_id, ref: frame.ref });
      case 'leave':
        this.connection.joined.delete(frame.conversation_id);
        typing.stop(this.connection, frame.conversation_id);
        return this.send({ type: 'left', conversation_id: frame.conversation_id, ref: frame.ref });
      case 'message':
        return this.sendMessage(frame);
      case 'edit':
        await bus.call(contracts.messagesEdit, { actor_id, message_id: frame.message_id, content: frame.content });
        return;
      case 'delete':
        await bus.call(contracts.messagesDelete, { actor_id, message_id: frame.message_id });
        return;
      case 'reaction':
        await bus.call(contracts.messagesReact, { actor_id, message_id: frame.message_id, emoji: frame.emoji, action: frame.action });
        return;
      case 'read':
        await bus.call(contracts.messagesRead, { actor_id, conversation_id: frame.conversation_id, seq: frame.seq });
        return;
      case 'typing':
        if (!this.typingAllowance.take(Date.now())) throw new DomainError('rate_limited', 'typing too often, slow down');
        await this.members(frame.conversation_id);
        return typing.typing(this.connection, frame.conversation_id, frame.is_typing);
      case 'sync': {
        const wait = this.nextSyncPageAt - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const page = await bus.call(contracts.messagesHistory, {
          actor_id,
          conversation_id: frame.conversation_id,
          after_seq: frame.after_seq,
          limit: syncPageLimit,
        });
        this.nextSyncPageAt = page.has_more ? Date.now() + this.deps.syncPageIntervalMs : 0;
        return this.send({ type: 'sync', conversation_id: frame.conversation_id, ...page, ref: frame.ref });
      }
      case 'get_online_users': {
        const members = await this.members(frame.conversation_id);
        const { online } = await bus.call(contracts.presenceQuery, { user_ids: members });
        return this.send({ type: 'online_users', conversation_id: frame.conversation_id, users: online, ref: frame.ref });
      }
      default:
        return unhandled(frame);
    }
  }

  private async sendMessage(frame: Extract<ClientFrame, { type: 'message' }>): Promise<void> {
    const { message, duplicate } = await this.deps.bus.call(contracts.messagesSend, {
      actor_id: this.connection.userId,
      sender_username: this.connection.username,
      conversation_id: frame.conversation_id,
      message_id: frame.message_id,
      content: frame.content,
    });
    this.deps.metrics.messagesSent.inc();
    if (duplicate) return this.send({ type: 'message', message, ref: frame.ref });
    this.deps.fanout.follow(message.conversation_id, this.connection.userId);
    this.deps.fanout.offer(message);
  }

  /**
   * The conversation's members, checking this user is one (not_found / not_a_member otherwise).
   * Cached lists are kept current by member events; a join always refreshes.
   */
  private async members(conversationId: string, refresh = false): Promise<string[]> {
    const { directory, bus } = this.deps;
    if (!refresh && directory.has(conversationId)) {
      if (!directory.isMember(conversationId, this.connection.userId)) {
        throw new DomainError('not_a_member', 'not a member of this conversation');
      }
      return directory.membersOf(conversationId);
    }
    const conversation = await bus.call(contracts.conversationsGet, { actor_id: this.connection.userId, conversation_id: conversationId });
    directory.set(conversationId, conversation.members);
    return conversation.members;
  }

  private send(frame: ServerFrame): void {
    this.connection.send(JSON.stringify(frame));
  }

  private failWith(err: unknown, ref: Ref): void {
    // A request our own schemas let through but a service refused is still a bad frame to the client.
    if (err instanceof DomainError) return this.fail(err.code === 'validation_error' ? 'invalid_frame' : err.code, err.detail, ref);
    this.deps.logger.error({ err, userId: this.connection.userId }, 'frame handling failed');
    this.fail('internal_error', 'internal error', ref);
  }

  private fail(code: ErrorCode, reason: string, ref?: unknown): void {
    this.deps.metrics.framesRejected.inc({ code });
    const echo = typeof ref === 'string' || typeof ref === 'number' ? ref : undefined;
    this.send({ type: 'error', code, reason, ref: echo });
  }
}
