import { presenceSubjects } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import type { ConnectionRegistry } from '../domain/connection-registry';

/** Connections per heartbeat message: ~85 bytes each keeps a message far below NATS's 1 MiB payload limit. */
const connectionsPerHeartbeat = 2000;

/**
 * Tells the presence service about this gateway's sockets: connects and disconnects as they
 * happen, and one heartbeat per interval renewing all of them (split only past
 * `connectionsPerHeartbeat`). A gateway that dies stops heartbeating, so its leases expire.
 */
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
    this.timer = setInterval(() => this.heartbeat(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private heartbeat(): void {
    const connections = this.registry.all().map((c) => ({ connection_id: c.id, user_id: c.userId }));
    for (let i = 0; i < connections.length; i += connectionsPerHeartbeat) {
      const batch = connections.slice(i, i + connectionsPerHeartbeat);
      this.bus.publish(presenceSubjects.heartbeat, { gateway_id: this.gatewayId, connections: batch });
    }
  }
}
