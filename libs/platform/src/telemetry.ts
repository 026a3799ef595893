import { trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { Histogram } from 'prom-client';

/** The tracer every Pneumatic span comes from; a no-op until startTelemetry registers a provider. */
export const tracer = () => trace.getTracer('pneumatic');

/**
 * Postgres latency, measured from the pg instrumentation's spans so no store needs its own timer.
 * It belongs to no registry here: createMetrics adds it to each service's registry.
 */
export const dbQueryDuration = new Histogram({
  name: 'pneumatic_db_query_duration_seconds',
  help: 'Postgres round trips (queries and connects) as seen by the pg client, by operation',
  labelNames: ['operation'] as const,
  buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [],
});

const knownOperations = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'BEGIN', 'COMMIT', 'ROLLBACK', 'WITH']);

/** A bounded label from a pg span name ("pg.query:SELECT db", "pg.connect", "pg-pool.connect"). */
export function dbOperationOf(spanName: string): string | undefined {
  if (spanName === 'pg.connect' || spanName === 'pg-pool.connect') return 'connect';
  if (!spanName.startsWith('pg.query')) return undefined;
  const command = spanName.slice('pg.query:'.length).split(' ')[0]?.toUpperCase() ?? '';
  return knownOperations.has(command) ? command.toLowerCase() : 'other';
}

const dbLatencyRecorder: SpanProcessor = {
  onStart: () => undefined,
  onEnd(span: ReadableSpan) {
    const operation = dbOperationOf(span.name);
    if (!operation) return;
    const [seconds, nanos] = span.duration;
    dbQueryDuration.observe({ operation }, seconds + nanos / 1e9);
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

export interface TelemetryOptions {
  /** Where spans go; by default OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else nowhere. */
  exporter?: SpanExporter;
  env?: NodeJS.ProcessEnv;
}

let started: NodeTracerProvider | undefined;

/**
 * Registers the tracer provider (W3C trace context, async-hooks context) and the HTTP and pg
 * instrumentations. Without an exporter, context still propagates across NATS and into log
 * lines; nothing leaves the process. Must run before `pg` is first required (see telemetry-preload).
 */
export function startTelemetry(serviceName: string, { exporter, env = process.env }: TelemetryOptions = {}): NodeTracerProvider | undefined {
  // The OpenTelemetry-standard switch: no spans, no propagation, no per-query cost.
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  if (started) return started;
  const target = exporter ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? new OTLPTraceExporter() : undefined);
  const spanProcessors = [dbLatencyRecorder, ...(target ? [new BatchSpanProcessor(target, { maxQueueSize: 2048 })] : [])];
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? serviceName }),
    spanProcessors,
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Probes and scrapes would otherwise be most of the traces.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|ready|metrics)\b/.test(req.url ?? '') }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
    ],
  });
  started = provider;
  return provider;
}

/** Flushes spans still batched; a no-op when telemetry was never started. */
export async function stopTelemetry(): Promise<void> {
  await started?.shutdown();
}

/** The ids a log line carries so it can be found from its trace, and the other way round. */
export function traceFieldsOf(span: Span | undefined): { trace_id: string; span_id: string } | Record<string, never> {
  const context = span?.spanContext();
  if (!context || !trace.isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}
