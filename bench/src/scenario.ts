import type { DeliveryLedger } from './ledger';
import type { Target } from './population';
import type { Samples } from './stats';

export interface Check {
  what: string;
  target: string;
  actual: string;
  pass: boolean;
}

export interface ScenarioResult {
  name: string;
  parameters: Record<string, number | string>;
  figures: Record<string, number | string>;
  totals?: ReturnType<DeliveryLedger['totals']>;
  latencyMs?: ReturnType<Samples['summary']>;
  latencyHistogram?: { boundsMs: number[]; counts: number[] };
  checks: Check[];
}

export interface ScenarioContext {
  target: Target;
  durationSeconds: number;
  /**
   * Load run before the measured window of the closed and open loops, left out of their rates and
   * latencies: nine processes on two cores need a few seconds of traffic before their hot paths are
   * compiled and their caches and pools are filled. Its messages are still checked for loss.
   */
  warmupSeconds: number;
  /** Reads a gateway's /metrics (index into target.gateways). */
  metrics(gateway: number): Promise<string>;
}

export const latencyBoundsMs = [1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 250, 500, 1000, 5000];

/** Prints one self-overwriting progress line per second while a scenario runs. */
export function progress(label: string, line: () => string): () => void {
  const started = Date.now();
  const timer = setInterval(() => {
    process.stderr.write(`\r[${label}] ${((Date.now() - started) / 1000).toFixed(0)}s ${line()}    `);
  }, 1000);
  return () => {
    clearInterval(timer);
    process.stderr.write('\n');
  };
}

export const noLossCheck = (totals: ReturnType<DeliveryLedger['totals']>, during = ''): Check[] => [
  { what: `lost${during}`, target: '0', actual: String(totals.lost), pass: totals.lost === 0 },
  { what: `duplicated${during}`, target: '0', actual: String(totals.duplicated), pass: totals.duplicated === 0 },
];
