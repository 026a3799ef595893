import type { Metrics } from '@pneumatic/platform';
import { Counter, Gauge } from 'prom-client';

/**
 * How a batch of sends was stored: `fast`, one statement from remembered stream tips; or the
 * locked path, and why: a conversation whose tip this process did not know (`unknown_tip`), a tip
 * another process had moved (`stale_tip`), or a send retrying a stored message (`retried`).
 */
export type BatchPath = 'fast' | 'unknown_tip' | 'stale_tip' | 'retried';

/** Counts batches by path: how often replicas sharing conversations push each other onto the locked path. */
export function batchPathCounter({ registry }: Metrics): (path: BatchPath) => void {
  const batches = new Counter({
    name: 'pneumatic_messages_send_batches_total',
    help: 'Batches of sends stored, by path: fast (one statement from known stream tips) or the locked path and why',
    labelNames: ['path'] as const,
    registers: [registry],
  });
  return (path) => batches.inc({ path });
}

/** The partitions this replica leases now (docs/scale-out.md, Messages replicas): all replicas' add up to MESSAGES_PARTITIONS once settled. */
export function partitionsHeldGauge({ registry }: Metrics, held: () => number): void {
  new Gauge({
    name: 'pneumatic_messages_partitions_held',
    help: 'Partitions of conversations whose sends this replica serves by lease',
    registers: [registry],
    collect() {
      this.set(held());
    },
  });
}
