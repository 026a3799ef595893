/**
 * Requests under way per key (a client address), kept in this process: a key is dropped when its
 * last request ends, so the map never holds more keys than there are requests in flight.
 */
export class InFlightCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Takes a slot for `key`; false (and no slot) when `key` already holds `limit`. */
  enter(key: string): boolean {
    const count = this.counts.get(key) ?? 0;
    if (count >= this.limit) return false;
    this.counts.set(key, count + 1);
    return true;
  }

  leave(key: string): void {
    const count = this.counts.get(key) ?? 0;
    if (count <= 1) this.counts.delete(key);
    else this.counts.set(key, count - 1);
  }

  get keys(): number {
    return this.counts.size;
  }
}
