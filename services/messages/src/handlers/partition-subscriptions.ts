import type { Subscription } from '@pneumatic/platform';

interface Served {
  subscriptions: Subscription[];
  /** Set while the partition is being handed over: when it fires, this replica stops serving it. */
  handover?: NodeJS.Timeout;
  handedOver?: Promise<void>;
}

/**
 * The partition subjects this replica serves, following its leases. A partition given up is
 * served on for `handoverMs`, long enough for the replica taking it to subscribe, so a handover
 * leaves no moment without a subscriber (both serve it meanwhile, in one queue group, which is
 * correct though slower). A partition taken back during its handover simply stays.
 */
export class PartitionSubscriptions {
  private readonly served = new Map<number, Served>();

  constructor(
    private readonly serve: (partition: number) => Subscription[],
    private readonly handoverMs: number,
  ) {}

  own(partition: number): void {
    const served = this.served.get(partition);
    if (!served) return void this.served.set(partition, { subscriptions: this.serve(partition) });
    clearTimeout(served.handover);
    served.handover = undefined;
    served.handedOver = undefined;
  }

  disown(partition: number): void {
    const served = this.served.get(partition);
    if (!served || served.handover) return;
    served.handedOver = new Promise((resolve) => {
      served.handover = setTimeout(() => {
        this.served.delete(partition);
        // Drained, not dropped: requests already on their way here are still answered.
        // A connection already gone has nothing left to drain.
        void Promise.allSettled(served.subscriptions.map((s) => s.drain())).then(() => resolve());
      }, this.handoverMs);
    });
  }

  /** Partitions served now, handovers included. */
  get partitions(): number[] {
    return [...this.served.keys()];
  }

  /** Waits for the handovers under way (the leases were given up first, see PartitionLeases.stop). */
  async stop(): Promise<void> {
    await Promise.all([...this.served.values()].map((s) => s.handedOver));
  }
}
