/**
 * CPU time the stack's processes (and this test process) spend, from /proc: unlike latencies it
 * hardly depends on what else the machine runs, so it says what a fault costs even on a busy box.
 */
import { processStat } from '@pneumatic/testkit';
import type { StackUnderTest } from './stack-under-test';

export type CpuReading = Map<string, { pid: number; ms: number }>;

/** CPU time so far of every process of the stack and of this one (`test`). */
export function readCpu(stack: StackUnderTest): CpuReading {
  const reading: CpuReading = new Map();
  for (const [name, pid] of [...stack.pids, ['test', process.pid] as const]) {
    const ms = processStat(pid)?.cpuMs;
    if (ms !== undefined) reading.set(name, { pid, ms });
  }
  return reading;
}

/** CPU ms spent between two readings, per process that ran throughout (same pid in both). */
export function cpuSpent(before: CpuReading, after: CpuReading): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const [name, { pid, ms }] of after) {
    const earlier = before.get(name);
    if (earlier?.pid === pid) spent[name] = Math.round(ms - earlier.ms);
  }
  return spent;
}
