import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { projectionLag } from './projection';
import { dbQueryDuration } from './timed-pg-client';

export interface Metrics {
  registry: Registry;
  rpcDuration: Histogram<'subject' | 'outcome'>;
  rpcServed: Counter<'subject' | 'outcome'>;
  busWriteFailures: Counter<'kind' | 'reason'>;
}

/** One registry per process with Node's default metrics and the RPC metrics every service shares. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(dbQueryDuration);
  registry.registerMetric(projectionLag);
  const rpcDuration = new Histogram({
    name: 'pneumatic_rpc_client_duration_seconds',
    help: 'Time from sending a NATS request to its reply, by subject and outcome',
    labelNames: ['subject', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const rpcServed = new Counter({
    name: 'pneumatic_rpc_served_total',
    help: 'NATS requests handled by this service, by subject and outcome',
    labelNames: ['subject', 'outcome'] as const,
    registers: [registry],
  });
  // By kind and reason only: a publish subject may name a conversation or a user (the log line has it).
  const busWriteFailures = new Counter({
    name: 'pneumatic_bus_write_failures_total',
    help: 'Replies, requests and publishes the NATS transport refused (e.g. MAX_PAYLOAD_EXCEEDED), by kind and reason',
    labelNames: ['kind', 'reason'] as const,
    registers: [registry],
  });
  return { registry, rpcDuration, rpcServed, busWriteFailures };
}
