import { Client } from 'pg';
import { Histogram } from 'prom-client';

/**
 * Postgres latency per round trip, timed by `TimedClient` (the pool's client, see database.ts)
 * whether or not tracing is on. It belongs to no registry here: createMetrics adds it
 * to each service's registry.
 */
export const dbQueryDuration = new Histogram({
  name: 'pneumatic_db_query_duration_seconds',
  help: 'Postgres round trips (statements) as seen by the pg client, by operation',
  labelNames: ['operation'] as const,
  buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [],
});

const knownOperations = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'BEGIN', 'COMMIT', 'ROLLBACK', 'WITH']);

/** A bounded label from a statement's first word ("select", "with", …; "other" for the rest). */
export function dbOperationOf(sql: string): string {
  const command = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
  return knownOperations.has(command) ? command.toLowerCase() : 'other';
}

/** The SQL of a query call, or undefined for a submittable (a cursor), which is not timed. */
function textOf(query: unknown): string | undefined {
  if (typeof query === 'string') return query;
  if (query && typeof query === 'object' && !('submit' in query) && typeof (query as { text?: unknown }).text === 'string') {
    return (query as { text: string }).text;
  }
  return undefined;
}

/**
 * A pg client that times each statement into `pneumatic_db_query_duration_seconds`, whether it
 * is awaited (transactions) or given a callback (the pool's own `query`).
 */
export class TimedClient extends Client {
  // pg's overloads (promise, callback, submittable) are all passed through, hence the loose type.
  override query(...args: any[]): any {
    const text = textOf(args[0]);
    const call = super.query as (...a: unknown[]) => unknown;
    if (text === undefined) return call.apply(this, args);
    const started = process.hrtime.bigint();
    const observe = () => dbQueryDuration.observe({ operation: dbOperationOf(text) }, Number(process.hrtime.bigint() - started) / 1e9);
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      const timed = [...args] as unknown[];
      timed[last] = (err: unknown, result: unknown) => {
        observe();
        (callback as (e: unknown, r: unknown) => void)(err, result);
      };
      return call.apply(this, timed);
    }
    const result = call.apply(this, args) as Promise<unknown> | undefined;
    result?.then(observe, observe);
    return result;
  }
}
