import { PresenceHeartbeat, PresenceTransition, contracts, presenceSubjects } from '@pneumatic/contracts';
import type { Bus, Logger } from '@pneumatic/platform';
import type { Lease, PresenceLeases } from '../store/presence-store';
import { publishStatus } from './status-publisher';

const queue = 'presence';

/** Gateways report connections; the store keeps leases and decides transitions; queries answer who is online. */
export function registerPresenceHandlers(bus: Bus, store: PresenceLeases, logger: Logger) {
  const failed = (what: string) => (err: unknown) => logger.warn({ err, what }, 'presence update failed');
  const renew = (leases: Lease[], what: string) =>
    void store
      .renew(leases)
      .then((wentOnline) => publishStatus(bus, wentOnline, 'online'))
      .catch(failed(what));
  return [
    bus.subscribe(presenceSubjects.connected, PresenceTransition, (c) => renew([c], 'connect'), queue),
    bus.subscribe(presenceSubjects.heartbeat, PresenceHeartbeat, (h) => renew(h.connections, 'heartbeat'), queue),
    bus.subscribe(presenceSubjects.disconnected, PresenceTransition, (c) => void store.release(c).catch(failed('disconnect')), queue),
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
