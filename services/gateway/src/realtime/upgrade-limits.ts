import type { Logger } from '@pneumatic/platform';
import { RateWindows, type RateCounter } from '../http/rate-limits';

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
  private readonly windows: RateWindows;

  constructor(
    counter: RateCounter,
    private readonly settings: UpgradeLimitSettings,
    logger: Logger,
  ) {
    this.windows = new RateWindows(counter, logger, 'websocket upgrade limits unavailable (redis); upgrades pass unlimited');
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
    const verdict = await this.windows.check(key, limit, this.settings.windowSeconds);
    return !verdict || verdict.allowed ? undefined : `too many connection attempts ${whose}; retry after ${verdict.retryAfterSeconds} s`;
  }
}
