import { canonicalUsername } from '@pneumatic/contracts';
import type { Logger, Metrics } from '@pneumatic/platform';
import type { RequestHandler } from 'express';
import { Counter } from 'prom-client';
import type { AccessClaims } from '../auth/access-tokens';

const securityEventNames = [
  'login_failed',
  'login_locked',
  'token_invalid',
  'not_a_member',
  'rate_limited',
  'upgrade_rate_limited',
  'socket_cap_reached',
  'frame_rate_limited',
] as const;
export type SecurityEventName = (typeof securityEventNames)[number];

/** Who and from where; never a token, password or hash. */
export interface SecurityEventFields {
  client: string;
  user_id?: string;
  username?: string;
}

const loginPaths = new Set(['/auth/login', '/auth/token']);

/**
 * The event an HTTP reply stands for, from its status and error code: a 401 of a login is a wrong
 * password (auth's answer), any other 401 a missing, forged or expired token.
 */
export function httpSecurityEvent(path: string, status: number, code: unknown): SecurityEventName | undefined {
  if (status === 429) return code === 'login_locked' ? 'login_locked' : 'rate_limited';
  if (status === 401) return loginPaths.has(path) ? 'login_failed' : 'token_invalid';
  if (status === 403 && code === 'not_a_member') return 'not_a_member';
  return undefined;
}

/** A name as typed is attacker-chosen: logged in its canonical form when it has one, and bounded. */
const loggedUsername = (username: unknown): string | undefined =>
  typeof username === 'string' && username.length > 0 ? (canonicalUsername(username) ?? username.slice(0, 64)) : undefined;

/** Every security event the gateway sees at its edge: one structured log line and one count each. */
export class SecurityEvents {
  private readonly counter: Counter<'event'>;

  constructor(
    private readonly logger: Logger,
    { registry }: Metrics,
  ) {
    this.counter = new Counter({
      name: 'pneumatic_security_events_total',
      help: 'Failed logins, lockouts, invalid tokens, not_a_member refusals and rate-limit refusals (HTTP and WebSocket), by event',
      labelNames: ['event'] as const,
      registers: [registry],
    });
    for (const event of securityEventNames) this.counter.inc({ event }, 0);
  }

  record(event: SecurityEventName, fields: SecurityEventFields): void {
    this.counter.inc({ event });
    this.logger.warn({ event, ...fields }, `security event: ${event}`);
  }

  /** Records the event of each HTTP reply once it is sent (`res.locals.errorCode` comes from the error reply). */
  readonly watchHttp: RequestHandler = (req, res, next) => {
    res.on('finish', () => {
      const event = httpSecurityEvent(req.path, res.statusCode, res.locals.errorCode);
      if (!event) return;
      const caller = res.locals.user as AccessClaims | undefined;
      this.record(event, {
        client: req.ip ?? 'unknown',
        ...(caller ? { user_id: caller.userId } : { username: loggedUsername((req.body as { username?: unknown } | undefined)?.username) }),
      });
    });
    next();
  };
}
