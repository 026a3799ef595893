import type { Logger } from '@pneumatic/platform';
import { rateVerdict, type RateCounter } from '../http/rate-limits';
import { ThrottledWarning } from './throttled-warning';

export interface UpgradeLimitSettings {
  windowSeconds: number;
  perAddress: number;
  perUser: number;
}

/**
 * WebSocket upgrades per client address (every attempt, before the token is checked) and per user
 * (authenticated ones), in the same fixed windows and store as the HTTP limits, so they hold
 * across gateways. While the store is down they fail open, as the HTTP limits do.
 */
export class UpgradeLimiter {
  private readonly outage: ThrottledWarning;

  constructor(
    private readonly counter: RateCounter,
    private readonly settings: UpgradeLimitSettings,
    logger: Logger,
  ) {
    this.outage = new ThrottledWarning(logger, 'websocket upgrade limits unavailable (redis); upgrades pass unlimited');
  }

  /** Why an upgrade from this address is refused, or undefined when it may go on. */
  byAddress(address: string): Promise<string | undefined> {
    return this.refusal(`ratelimit:ws:ip:${address}`, this.settings.perAddress, 'from this address');
  }

  /** Why an upgrade of this user is refused, or undefined when it may go on. */
  byUser(userId: string): Promise<string | undefined> {
    return this.refusal(`ratelimit:ws:user:${userId}`, this.settings.perUser, 'of this user');
  }

  private async refusal(key: string, limit: number, whose: string): Promise<string | undefined> {
    try {
      const [count, ttlMs] = await this.counter.hit(key, this.settings.windowSeconds * 1000);
      const verdict = rateVerdict(limit, count, ttlMs, Date.now());
      return verdict.allowed ? undefined : `too many connection attempts ${whose}; retry after ${verdict.retryAfterSeconds} s`;
    } catch (err) {
      this.outage.warn(err);
      return undefined;
    }
  }
}
