import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ReportedSpanExporter } from './telemetry';

describe('a span exporter that cannot reach its collector', () => {
  it('reports the first failure once, with the endpoint and reason, and still answers every export', () => {
    const refused: SpanExporter = {
      export: (_spans, done) => done({ code: 1, error: new Error('connect ECONNREFUSED 10.0.0.9:4318') }),
      shutdown: async () => undefined,
    };
    const warnings: unknown[][] = [];
    const exporter = new ReportedSpanExporter(refused, { warn: (...args: unknown[]) => warnings.push(args) } as never, 'http://otel-collector:4318');
    const results: number[] = [];
    for (let i = 0; i < 3; i += 1) exporter.export([], (result) => results.push(result.code));
    expect(results).toEqual([1, 1, 1]);
    expect(warnings).toEqual([
      [{ endpoint: 'http://otel-collector:4318', reason: 'connect ECONNREFUSED 10.0.0.9:4318' }, 'traces cannot be exported; the service runs on without them (reported once)'],
    ]);
  });

  it('reports nothing while exports succeed', () => {
    const fine: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
    const warnings: unknown[] = [];
    new ReportedSpanExporter(fine, { warn: (...args: unknown[]) => warnings.push(args) } as never, undefined).export([], () => undefined);
    expect(warnings).toEqual([]);
  });
});
