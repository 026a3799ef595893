import { presenceSubjects } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import type { ConnectionRegistry } from '../domain/connection-registry';

/** Tells the presence service about this gateway's sockets: one heartbeat per interval for all of them. */
export class PresenceReporter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly registry: ConnectionRegistry,
    private readonly gatewayId: string,
  ) {}

  connected(connectionId: string, userId: string): void {
    this.bus.publish(presenceSubjects.connected, { connection_id: connectionId, user_id: userId, gateway_id: this.gatewayId });
  }

  disconnected(connectionId: string, userId: string): void {
    this.bus.publish(presenceSubjects.disconnected, { connection_id: connectionId, user_id: userId, gateway_id: this.gatewayId });
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      const connections = this.registry.all().map((c) => ({ connection_id: c.id, user_id: c.userId }));
      if (connections.length > 0) this.bus.publish(presenceSubjects.heartbeat, { gateway_id: this.gatewayId, connections });
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
