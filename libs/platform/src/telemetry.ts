import { trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { createLogger, type Logger } from './logger';

/** The tracer every Pneumatic span comes from; a no-op until startTelemetry registers a provider. */
export const tracer = () => trace.getTracer('pneumatic');

export interface TelemetryOptions {
  /** Where spans go; by default OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else nowhere. */
  exporter?: SpanExporter;
  env?: NodeJS.ProcessEnv;
  /** Where the first export failure is reported; by default a logger of its own. */
  logger?: Pick<Logger, 'warn'>;
}

type ExportDone = Parameters<SpanExporter['export']>[1];
/** ExportResultCode.SUCCESS of @opentelemetry/core. */
const exportSucceeded = 0;

/**
 * Passes spans on and reports, once, that they cannot be exported: without a collector the
 * service runs on (tracing is optional), but the operator should learn it from one clear line,
 * not from silence nor from a line per batch.
 */
export class ReportedSpanExporter implements SpanExporter {
  private reported = false;

  constructor(
    private readonly inner: SpanExporter,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly endpoint: string | undefined,
  ) {}

  export(spans: Parameters<SpanExporter['export']>[0], done: ExportDone): void {
    this.inner.export(spans, (result) => {
      if (result.code !== exportSucceeded && !this.reported) {
        this.reported = true;
        this.logger.warn(
          { endpoint: this.endpoint, reason: result.error?.message ?? 'export failed' },
          'traces cannot be exported; the service runs on without them (reported once)',
        );
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

let started: NodeTracerProvider | undefined;

/**
 * Registers the tracer provider (W3C trace context, async-hooks context) and the HTTP and pg
 * instrumentations when there is an exporter (OTEL_EXPORTER_OTLP_ENDPOINT, or one passed in);
 * context then propagates across NATS and into log lines. Must run before `pg` is first required
 * (see telemetry-preload).
 */
export function startTelemetry(serviceName: string, { exporter, env = process.env, logger }: TelemetryOptions = {}): NodeTracerProvider | undefined {
  // The OpenTelemetry-standard switch: no spans, no propagation, no per-query cost.
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  if (started) return started;
  const target = exporter ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? new OTLPTraceExporter() : undefined);
  // Nowhere to send spans: trace nothing. Even unrecorded spans need the async context manager,
  // which costs every promise; measured, that was a tenth of the throughput and half the p99.
  if (!target) return undefined;
  const name = env.OTEL_SERVICE_NAME ?? serviceName;
  const reported = new ReportedSpanExporter(target, logger ?? createLogger(name, env.LOG_LEVEL), env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: name }),
    spanProcessors: [new BatchSpanProcessor(reported, { maxQueueSize: 2048 })],
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
