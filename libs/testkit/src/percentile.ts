/** Nearest-rank percentile (p in 0..100) of values already sorted ascending; NaN for none. */
export function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Nearest-rank percentile (p in 0..100) of `values`, in any order; NaN for none. */
export const percentile = (values: readonly number[], p: number): number => nearestRank([...values].sort((a, b) => a - b), p);
