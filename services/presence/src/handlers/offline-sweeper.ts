import type { Bus, Logger } from '@pneumatic/platform';
import type { PresenceLeases } from '../store/presence-store';
import { publishStatus } from './status-publisher';

/** Pages of due users handled per tick, so one tick stays bounded however many expire at once. */
const maxPagesPerTick = 20;

/**
 * Takes offline the users whose leases all ended a grace period ago: disconnected ones, and those
 * of a gateway that died without a goodbye. Every replica sweeps; the claim script lets exactly
 * one of them publish each transition.
 */
export class OfflineSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private storeDown = false;

  constructor(
    private readonly bus: Bus,
    private readonly store: PresenceLeases,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  async sweep(): Promise<void> {
    try {
      for (let page = 0, more = true; more && page < maxPagesPerTick; page++) {
        const swept = await this.store.sweepOffline();
        publishStatus(this.bus, swept.offline, 'offline');
        more = swept.more;
      }
      if (this.storeDown) this.logger.info('presence sweeper resumed');
      this.storeDown = false;
    } catch (err) {
      // Logged once per outage: the sweeper retries every tick and catches up when Redis returns.
      if (!this.storeDown) this.logger.warn({ err }, 'presence sweeper cannot reach the store; retrying');
      this.storeDown = true;
    }
  }
}
