import { context, trace, SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, stopTelemetry } from './telemetry';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { Bus } from './bus';
import { createLogger } from './logger';
import { createMetrics } from './metrics';

const exporter = new InMemorySpanExporter();
const provider = startTelemetry('telemetry-test', { exporter, env: {} })!;

const echo = { subject: 'telemetry.echo', request: z.object({ text: z.string() }), reply: z.object({ text: z.string() }) };

describe('trace context over NATS', () => {
  const lines: Record<string, unknown>[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = createLogger('telemetry-test', 'info', logStream);
  let server: Bus;
  let client: Bus;

  beforeAll(async () => {
    const options = { url: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222', prefix: `t_${randomUUID().slice(0, 8)}`, logger, metrics: createMetrics('telemetry-test') };
    server = await Bus.connect({ ...options, name: 'telemetry-server' });
    client = await Bus.connect({ ...options, name: 'telemetry-client' });
  });

  afterAll(async () => {
    await client.close();
    await server.close();
    await stopTelemetry();
  });

  beforeEach(() => exporter.reset());

  it('makes the handler span a child of the caller span, and stamps the trace id on log lines', async () => {
    server.serve(
      echo,
      async ({ text }) => {
        logger.info({ text }, 'echoing');
        return { text };
      },
      { queue: 'telemetry' },
    );
    await server.flush();
    const root = trace.getTracer('test').startSpan('client request');
    await context.with(trace.setSpan(context.active(), root), () => client.call(echo, { text: 'hi' }));
    root.end();
    await provider.forceFlush();

    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'telemetry.echo');
    const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(clientSpan.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(clientSpan.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(serverSpan.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);

    const logged = lines.find((line) => line.msg === 'echoing');
    expect(logged).toMatchObject({ trace_id: serverSpan.spanContext().traceId, span_id: serverSpan.spanContext().spanId });
  });

  it('continues the publisher trace in a subscriber', async () => {
    const heard = new Promise<string | undefined>((resolve) => {
      server.subscribe('chat.conv.*.message', z.object({ seq: z.number() }), () => resolve(trace.getActiveSpan()?.spanContext().traceId));
    });
    await server.flush();
    const root = trace.getTracer('test').startSpan('append message');
    context.with(trace.setSpan(context.active(), root), () => client.publish('chat.conv.c1.message', { seq: 1 }));
    root.end();
    await expect(heard).resolves.toBe(root.spanContext().traceId);
    await provider.forceFlush();

    const consumer = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER)!;
    const producer = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER)!;
    expect(producer.name).toBe('chat.conv.c1.message');
    expect(consumer.name).toBe('chat.conv.*.message');
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
  });

  it('logs no trace id outside any span', async () => {
    lines.length = 0;
    logger.info('outside any span');
    expect(lines[0]).not.toHaveProperty('trace_id');
  });
});
