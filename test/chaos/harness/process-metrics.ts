import type { ProcessName, StackUnderTest } from './stack-under-test';

export interface ProcessSample {
  process: ProcessName;
  at: number;
  rssBytes: number;
  eventLoopLagP99Seconds: number;
}

function gauge(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/** One reading of every process's /metrics (a process that does not answer is left out). */
export async function sampleProcesses(stack: StackUnderTest): Promise<ProcessSample[]> {
  const samples = await Promise.all(
    stack.processNames.map(async (process) => {
      const res = await fetch(`${stack.probeUrl(process)}/metrics`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      if (res?.status !== 200) return undefined;
      const text = await res.text();
      return {
        process,
        at: Date.now(),
        rssBytes: gauge(text, 'process_resident_memory_bytes'),
        eventLoopLagP99Seconds: gauge(text, 'nodejs_eventloop_lag_p99_seconds'),
      };
    }),
  );
  return samples.filter((s): s is ProcessSample => s !== undefined);
}
