import { PresenceConnected, PresenceDisconnected, PresenceHeartbeat, contracts, presenceSubjects } from '@pneumatic/contracts';
import type { Bus, Logger } from '@pneumatic/platform';
import type { PresenceStore } from '../store/presence-store';

const queue = 'presence';

/** Gateways report connections; the store keeps leases; queries answer who is online. */
export function registerPresenceHandlers(bus: Bus, store: PresenceStore, logger: Logger) {
  const failed = (what: string) => (err: unknown) => logger.warn({ err, what }, 'presence update failed');
  return [
    bus.subscribe(presenceSubjects.connected, PresenceConnected, (c) => void store.renew([c]).catch(failed('connect')), queue),
    bus.subscribe(presenceSubjects.heartbeat, PresenceHeartbeat, (h) => void store.renew(h.connections).catch(failed('heartbeat')), queue),
    bus.subscribe(presenceSubjects.disconnected, PresenceDisconnected, (c) => void store.release(c).catch(failed('disconnect')), queue),
    bus.serve(
      contracts.presenceQuery,
      async ({ user_ids }) => {
        try {
          return { online: await store.online(user_ids), degraded: false };
        } catch (err) {
          logger.warn({ err }, 'presence store unavailable; answering degraded');
          return { online: [], degraded: true };
        }
      },
      { queue },
    ),
  ];
}
