import type { Logger } from '@pneumatic/platform';
import type { ConnectionRegistry } from '../domain/connection-registry';
import type { SocketRef, SocketSlots } from './socket-slots';
import { ThrottledWarning } from '../http/throttled-warning';

export interface SocketCapSettings {
  maxPerUser: number;
  /** How long a slot outlives its gateway's last renewal; renewed every third of it. */
  leaseMs: number;
}

/**
 * At most `maxPerUser` open sockets per user across the cluster (the shared slots), and on this
 * gateway even while the slots' store is down (then the cluster-wide count fails open).
 */
export class SocketCap {
  private timer: NodeJS.Timeout | undefined;
  private readonly outage: ThrottledWarning;

  constructor(
    private readonly slots: SocketSlots,
    private readonly registry: ConnectionRegistry,
    readonly settings: SocketCapSettings,
    logger: Logger,
  ) {
    this.outage = new ThrottledWarning(logger, 'websocket socket cap unavailable (redis); only this gateway counts');
  }

  /** Takes a slot for a new socket; false when the user already has as many as allowed. */
  async admit(socket: SocketRef): Promise<boolean> {
    if (this.registry.allSocketsOf(socket.userId).length >= this.settings.maxPerUser) return false;
    try {
      return await this.slots.claim(socket, this.settings.maxPerUser, this.settings.leaseMs);
    } catch (err) {
      this.outage.warn(err);
      return true;
    }
  }

  release(socket: SocketRef): void {
    this.slots.release(socket).catch((err) => this.outage.warn(err));
  }

  start(): void {
    this.timer = setInterval(() => void this.renew(), this.settings.leaseMs / 3);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async renew(): Promise<void> {
    const sockets = this.registry.all().map((c) => ({ userId: c.userId, socketId: c.id }));
    await this.slots.renew(sockets, this.settings.leaseMs).catch((err) => this.outage.warn(err));
  }
}
