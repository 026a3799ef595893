import { DomainError, contracts, type ClientFrame, type ErrorCode, type ServerFrame } from '@pneumatic/contracts';
import type { Bus, Logger } from '@pneumatic/platform';
import type { Connection } from '../domain/connection-registry';
import type { Fanout } from './fanout';
import { parseClientFrame } from './frame-parser';
import type { GatewayMetrics } from './gateway-metrics';

export interface SessionDeps {
  bus: Bus;
  fanout: Fanout;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Frames waiting to be handled on one socket; past it the client is told `rate_limited`. */
  maxQueuedFrames: number;
}

const syncPageLimit = 200;

/**
 * One socket's conversation with the server. Frames are handled one at a time, in the order the
 * client sent them, so a client's own messages keep their order; a bad frame only earns an error.
 */
export class SocketSession {
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(
    readonly connection: Connection,
    private readonly deps: SessionDeps,
  ) {}

  receive(data: string, byteLength: number): void {
    const parsed = parseClientFrame(data, byteLength);
    if (!parsed.ok) return this.fail(parsed.code, parsed.reason, parsed.ref);
    if (this.queued >= this.deps.maxQueuedFrames) {
      return this.fail('rate_limited', 'too many frames in flight, slow down', parsed.frame.ref);
    }
    this.queued++;
    this.queue = this.queue
      .then(() => this.handle(parsed.frame))
      .catch((err) => this.failWith(err, parsed.frame.ref))
      .finally(() => this.queued--);
  }

  private async handle(frame: ClientFrame): Promise<void> {
    const { bus, fanout } = this.deps;
    const { userId, username } = this.connection;
    switch (frame.type) {
      case 'ping':
        return this.send({ type: 'pong', timestamp: new Date().toISOString(), ref: frame.ref });
      case 'join':
        await this.requireMember(frame.conversation_id);
        this.connection.joined.add(frame.conversation_id);
        fanout.follow(frame.conversation_id, userId);
        return this.send({ type: 'joined', conversation_id: frame.conversation_id, ref: frame.ref });
      case 'leave':
        this.connection.joined.delete(frame.conversation_id);
        return this.send({ type: 'left', conversation_id: frame.conversation_id, ref: frame.ref });
      case 'message': {
        const { message, duplicate } = await bus.call(contracts.messagesSend, {
          actor_id: userId,
          sender_username: username,
          conversation_id: frame.conversation_id,
          message_id: frame.message_id,
          content: frame.content,
        });
        this.deps.metrics.messagesSent.inc();
        if (duplicate) return this.send({ type: 'message', message, ref: frame.ref });
        fanout.follow(message.conversation_id, userId);
        return fanout.offer(message);
      }
      case 'sync': {
        const page = await bus.call(contracts.messagesHistory, {
          actor_id: userId,
          conversation_id: frame.conversation_id,
          after_seq: frame.after_seq,
          limit: syncPageLimit,
        });
        return this.send({ type: 'sync', conversation_id: frame.conversation_id, ...page, ref: frame.ref });
      }
      default:
        return this.fail('unknown_type', `"${frame.type}" is not served by this gateway yet`, frame.ref);
    }
  }

  private async requireMember(conversationId: string): Promise<void> {
    const { exists, member } = await this.deps.bus.call(contracts.conversationsMembership, {
      conversation_id: conversationId,
      user_id: this.connection.userId,
    });
    if (!exists) throw new DomainError('not_found', 'conversation not found');
    if (!member) throw new DomainError('not_a_member', 'not a member of this conversation');
  }

  private send(frame: ServerFrame): void {
    this.connection.send(JSON.stringify(frame));
  }

  private failWith(err: unknown, ref: unknown): void {
    if (err instanceof DomainError) return this.fail(err.code, err.detail, ref);
    this.deps.logger.error({ err, userId: this.connection.userId }, 'frame handling failed');
    this.fail('internal_error', 'internal error', ref);
  }

  private fail(code: ErrorCode, reason: string, ref?: unknown): void {
    this.deps.metrics.framesRejected.inc({ code });
    const echo = typeof ref === 'string' || typeof ref === 'number' ? ref : undefined;
    this.send({ type: 'error', code, reason, ref: echo });
  }
}
