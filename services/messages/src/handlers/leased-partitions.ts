import type { Bus, Database, Logger, Metrics, Subscription } from '@pneumatic/platform';
import { partitionsHeldGauge } from '../store/messages-metrics';
import { PartitionLeases } from '../store/partition-leases';
import { PartitionSubscriptions } from './partition-subscriptions';

export interface PartitionLeasing {
  partitions: number;
  checkMs: number;
  /** Tells this deployment's leases from another's in the same database (the NATS subject prefix). */
  deployment: string;
}

/**
 * Leases this replica's share of the partitions and serves their subjects while it holds them
 * (docs/scale-out.md, Messages replicas). A partition given up is served for three checks more, so the
 * replica taking it (at its next check) has subscribed before this one stops. Resolves once the
 * first check has taken what was free, with the partitions held (live) and `stop`, which gives
 * every lease up and waits out the handovers.
 */
export async function serveLeasedPartitions(
  { db, bus, logger, metrics }: { db: Database; bus: Bus; logger: Logger; metrics?: Metrics },
  { partitions, checkMs, deployment }: PartitionLeasing,
  servePartition: (partition: number) => Subscription[],
): Promise<{ partitions: ReadonlySet<number>; stop(): Promise<void> }> {
  const subscriptions = new PartitionSubscriptions(servePartition, 3 * checkMs);
  const leases = new PartitionLeases({
    db,
    deployment,
    partitions,
    checkMs,
    canServe: () => bus.connected,
    logger,
    onTake: (p) => subscriptions.own(p),
    onRelease: (p) => subscriptions.disown(p),
  });
  if (metrics) partitionsHeldGauge(metrics, () => leases.partitions.size);
  await leases.start();
  return {
    partitions: leases.partitions,
    async stop() {
      await leases.stop();
      await subscriptions.stop();
    },
  };
}
