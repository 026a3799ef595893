import { nearestRank } from '@pneumatic/testkit';

/** Latency samples in milliseconds, kept whole so percentiles are exact. */
export class Samples {
  private values: number[] = [];
  private sorted = true;

  add(ms: number): void {
    this.values.push(ms);
    this.sorted = false;
  }

  get count(): number {
    return this.values.length;
  }

  percentile(p: number): number {
    if (!this.sorted) {
      this.values.sort((a, b) => a - b);
      this.sorted = true;
    }
    return nearestRank(this.values, p);
  }

  summary(): { count: number; p50: number; p90: number; p99: number; max: number } {
    return {
      count: this.count,
      p50: round(this.percentile(50)),
      p90: round(this.percentile(90)),
      p99: round(this.percentile(99)),
      max: round(this.percentile(100)),
    };
  }

  /** Counts per bucket upper bound (ms), for the latency chart. */
  histogram(bounds: number[]): number[] {
    const counts = bounds.map(() => 0);
    for (const v of this.values) {
      const i = bounds.findIndex((b) => v <= b);
      counts[i === -1 ? bounds.length - 1 : i]!++;
    }
    return counts;
  }
}

export const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);
