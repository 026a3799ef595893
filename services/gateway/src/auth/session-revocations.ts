import { DomainError, SessionEnded, authSubjects, contracts } from '@pneumatic/contracts';
import type { Bus, Logger, Subscription } from '@pneumatic/platform';
import { EndedSessions } from '../domain/ended-sessions';

const pageLimit = 1000;
/**
 * Each poll re-reads this much before the last one's clock, so an ending whose transaction began
 * before that poll but committed after it is still seen.
 */
const pollOverlapMs = 30_000;

export type SessionEndedListener = (ended: SessionEnded) => void;

/**
 * Which login sessions have ended, as this gateway knows it: the auth service's notice on NATS
 * ends a session at once, and a poll of auth's list (at start, then every `pollMs`) catches up
 * whatever notice this gateway missed, so a session is refused everywhere within `pollMs` at worst.
 * A check is a map lookup; until the first poll has answered, checks wait for it (and fail as
 * `unavailable` while auth cannot answer), so a gateway that starts later refuses old sessions too.
 */
export class SessionRevocations {
  private readonly ended = new EndedSessions();
  private readonly listeners: SessionEndedListener[] = [];
  private cursor: { since: string; after_session_id?: string } = { since: new Date(0).toISOString() };
  private loaded = false;
  private polling: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {}

  start(): void {
    this.subscription = this.bus.subscribe(authSubjects.sessionEnded, SessionEnded, (ended) => this.learn(ended));
    void this.poll().catch(() => undefined);
    this.timer = setInterval(() => void this.poll().catch(() => undefined), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.subscription?.unsubscribe();
  }

  /** Called for every session this gateway learns has ended, once each. */
  onEnded(listener: SessionEndedListener): void {
    this.listeners.push(listener);
  }

  async hasEnded(sessionId: string): Promise<boolean> {
    if (!this.loaded) await this.poll();
    return this.ended.has(sessionId);
  }

  /** One catch-up at a time: callers arriving meanwhile share it. */
  private poll(): Promise<void> {
    this.polling ??= this.readEndedSessions().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async readEndedSessions(): Promise<void> {
    try {
      for (;;) {
        const page = await this.bus.call(contracts.authEndedSessions, { ...this.cursor, limit: pageLimit });
        for (const ended of page.sessions) this.learn(ended);
        const last = page.sessions.at(-1);
        if (page.has_more && last) {
          this.cursor = { since: last.ended_at, after_session_id: last.session_id };
          continue;
        }
        this.cursor = { since: new Date(Date.parse(page.as_of) - pollOverlapMs).toISOString() };
        break;
      }
      this.loaded = true;
      this.ended.prune(Date.now());
      if (this.failing) this.logger.info('ended sessions readable again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn({ err }, 'could not read ended sessions from auth');
      this.failing = true;
      if (!this.loaded) throw new DomainError('unavailable', 'sessions cannot be checked yet; retry');
    }
  }

  private learn(ended: SessionEnded): void {
    if (!this.ended.add(ended.session_id, Date.parse(ended.expires_at), Date.now())) return;
    for (const listener of this.listeners) listener(ended);
  }
}
