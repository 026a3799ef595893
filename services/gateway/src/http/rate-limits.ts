import { canonicalUsername } from '@pneumatic/contracts';
import type { Logger, Redis } from '@pneumatic/platform';
import type { Request, RequestHandler, Response } from 'express';
import { callerOf } from './authenticate';
import { ThrottledWarning } from './throttled-warning';
import { Turns } from './turns';

export interface RateLimitSettings {
  windowSeconds: number;
  perIp: number;
  perUser: number;
  loginAttempts: number;
  loginWindowSeconds: number;
  /** Failed logins per client address (any names) per login window. */
  loginFailuresPerIp: number;
  /** Logins under way at once per client address, in this gateway process. */
  loginsInFlightPerIp: number;
  /** Logins of one client address waiting for their turn behind those; more are refused. */
  loginsWaitingPerIp: number;
}

/** Where a window stands after one more hit. */
export interface RateVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix time (seconds) at which the window resets. */
  resetAt: number;
  retryAfterSeconds: number;
}

export function rateVerdict(limit: number, count: number, ttlMs: number, nowMs: number): RateVerdict {
  return {
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    resetAt: Math.ceil((nowMs + ttlMs) / 1000),
    retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
  };
}

const exemptPrefixes = ['/health', '/ready', '/metrics', '/docs', '/redoc', '/openapi.json', '/asyncapi.json', '/static'];

/** Operational endpoints, docs and the web UI are never limited. */
export const isExempt = (path: string): boolean =>
  path === '/' || exemptPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

/**
 * The key of a login limit: one name from one address, so a victim cannot be locked out from elsewhere.
 * Keyed by the canonical name auth looks up, so no spelling of a name gets a fresh budget.
 */
export const loginKey = (username: unknown, ip: string): string | null =>
  typeof username === 'string' && username.length > 0
    ? `ratelimit:login:${canonicalUsername(username) ?? username.toLowerCase().slice(0, 128)}:${ip}`
    : null;

/** The key of the per-address login limit: failures with any names, so spraying names gains nothing. */
const loginAddressKey = (ip: string): string => `ratelimit:login-ip:${ip}`;

/** Fixed-window hit counts, shared by every gateway replica (Redis) or kept in this process (embedded mode). */
export interface RateCounter {
  /** Counts one hit in the key's window (opened by the first hit); returns the count and the ms left in the window. */
  hit(key: string, windowMs: number): Promise<[count: number, ttlMs: number]>;
  /** Gives one hit back, only while its window is still open. */
  refund(key: string): Promise<void>;
}

// A fixed window per key, counted atomically so every gateway replica shares it.
const hitScript = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

// Only an existing window is decremented: DECR on an expired key would create one without a TTL.
const refundScript = `if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0`;

export const redisRateCounter = (redis: Redis): RateCounter => ({
  hit: async (key, windowMs) => (await redis.eval(hitScript, 1, key, String(windowMs))) as [number, number],
  refund: async (key) => void (await redis.eval(refundScript, 1, key)),
});

/** The same windows in a map, for the single-process embedded mode; at most `maxKeys` windows are kept. */
export class InMemoryRateCounter implements RateCounter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly maxKeys = 100_000,
    private readonly clock: () => number = Date.now,
  ) {}

  async hit(key: string, windowMs: number): Promise<[number, number]> {
    const now = this.clock();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      this.windows.delete(key);
      this.makeRoom(now);
      window = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return [window.count, window.endsAt - now];
  }

  async refund(key: string): Promise<void> {
    const window = this.windows.get(key);
    if (window && window.endsAt > this.clock()) window.count--;
  }

  /** Drops closed windows, then the oldest opened ones, so the map never passes its bound. */
  private makeRoom(now: number): void {
    if (this.windows.size < this.maxKeys) return;
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}

/**
 * One hit in a fixed window of the shared counter and where that leaves it. While the counter's
 * store is down the check fails open (null), saying so once per interval.
 */
export class RateWindows {
  private readonly outage: ThrottledWarning;

  constructor(
    private readonly counter: RateCounter,
    logger: Logger,
    outageMessage: string,
  ) {
    this.outage = new ThrottledWarning(logger, outageMessage);
  }

  async check(key: string, limit: number, windowSeconds: number): Promise<RateVerdict | null> {
    try {
      const [count, ttlMs] = await this.counter.hit(key, windowSeconds * 1000);
      return rateVerdict(limit, count, ttlMs, Date.now());
    } catch (err) {
      this.outage.warn(err);
      return null;
    }
  }
}

/**
 * Request limits kept in Redis (or in memory, embedded): per client address on every non-exempt route, per user on
 * authenticated ones, and strict ones on logins per address and per username and address. While Redis
 * is down they fail open (with a warning), so an outage of the limiter never stops the chat.
 */
export class RateLimiter {
  private readonly loginTurns: Turns;
  private readonly windows: RateWindows;

  constructor(
    private readonly counter: RateCounter,
    private readonly settings: RateLimitSettings,
    logger: Logger,
  ) {
    this.loginTurns = new Turns(settings.loginsInFlightPerIp, settings.loginsWaitingPerIp);
    this.windows = new RateWindows(counter, logger, 'rate limiting unavailable (redis); requests pass unlimited');
  }

  /** Limits every non-exempt request by client address. */
  readonly perIp: RequestHandler = async (req, res, next) => {
    if (isExempt(req.path)) return next();
    const verdict = await this.windows.check(`ratelimit:ip:${clientIp(req)}`, this.settings.perIp, this.settings.windowSeconds);
    if (verdict) showVerdict(res, verdict);
    if (verdict && !verdict.allowed) return refuse(res, verdict.retryAfterSeconds, 'Too many requests');
    next();
  };

  /** Authenticates with `authenticate`, then limits the caller by user id. */
  perUser(authenticate: RequestHandler): RequestHandler {
    return async (req, res, next) => {
      await new Promise<void>((resolve, reject) => {
        Promise.resolve(authenticate(req, res, (err?: unknown) => (err ? reject(err) : resolve()))).catch(reject);
      });
      const userId = callerOf(res).userId;
      const verdict = await this.windows.check(`ratelimit:user:${userId}`, this.settings.perUser, this.settings.windowSeconds);
      if (verdict) showVerdict(res, verdict);
      if (verdict && !verdict.allowed) return refuse(res, verdict.retryAfterSeconds, 'Too many requests');
      next();
    };
  }

  /**
   * Guards the logins, each of which costs auth an argon2 verification, before any of that work:
   * an address's logins take turns, `loginsInFlightPerIp` at once with `loginsWaitingPerIp` waiting
   * (so one address cannot fill auth's queue, however many it sends); then it may fail
   * `loginFailuresPerIp` times per window with any names, and `loginAttempts` times per name.
   * Runs after the body is parsed.
   */
  readonly loginAttempts: RequestHandler = async (req, res, next) => {
    const ip = clientIp(req);
    let gone = false;
    const closed = new Promise<void>((resolve) => res.once('close', () => ((gone = true), resolve())));
    const release = await this.loginTurns.take(ip, closed);
    if (!release) return gone ? undefined : refuse(res, 1, 'Too many logins at once from this address');
    void closed.then(release);
    const { loginFailuresPerIp, loginAttempts } = this.settings;
    const byAddress = await this.countLoginFailure(res, loginAddressKey(ip), loginFailuresPerIp);
    if (byAddress && !byAddress.allowed) return refuse(res, byAddress.retryAfterSeconds, 'Too many failed logins from this address', 'login_locked');
    const key = loginKey((req.body as { username?: unknown } | undefined)?.username, ip);
    const byName = key ? await this.countLoginFailure(res, key, loginAttempts) : null;
    if (byName && !byName.allowed) return refuse(res, byName.retryAfterSeconds, 'Too many login attempts', 'login_locked');
    next();
  };

  /**
   * Counts the login as failed before it runs (so concurrent attempts cannot all slip under the
   * limit), and gives the hit back unless the reply is a 401: only a wrong name or password counts,
   * not a success, a refusal by another limit, or auth being overloaded.
   */
  private async countLoginFailure(res: Response, key: string, limit: number): Promise<RateVerdict | null> {
    const verdict = await this.windows.check(key, limit, this.settings.loginWindowSeconds);
    if (verdict) {
      res.on('finish', () => {
        if (res.statusCode !== 401) void this.counter.refund(key).catch(() => undefined);
      });
    }
    return verdict;
  }
}

const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Shows the tightest of the limits a request passed through. */
function showVerdict(res: Response, verdict: RateVerdict): void {
  const shown = res.locals.rateLimit as RateVerdict | undefined;
  if (shown && shown.remaining <= verdict.remaining) return;
  res.locals.rateLimit = verdict;
  res.setHeader('X-RateLimit-Limit', String(verdict.limit));
  res.setHeader('X-RateLimit-Remaining', String(verdict.remaining));
  res.setHeader('X-RateLimit-Reset', String(verdict.resetAt));
}

function refuse(res: Response, retryAfterSeconds: number, what: string, securityEvent = 'rate_limited'): void {
  res.locals.errorCode = securityEvent;
  res.setHeader('Retry-After', String(retryAfterSeconds));
  res.status(429).json({ detail: `${what}; retry after ${retryAfterSeconds} s`, code: 'rate_limited' });
}
