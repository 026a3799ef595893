import { readFileSync } from 'node:fs';

/** What Linux's /proc/<pid>/stat says of a process that the tests and the bench measure. */
export interface ProcessStat {
  ppid: number;
  /** User and system CPU time so far. */
  cpuMs: number;
  rssBytes: number;
}

// Linux reports CPU time in clock ticks, USER_HZ: 100 a second on every architecture Node runs on.
const ticksPerSecond = 100;
const pageBytes = 4096;

/** The process's figures now; undefined once it is gone (or on a system without /proc). */
export function processStat(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do
    // not: they start at field 3 (state), so ppid is [1], utime [11], stime [12], rss [21].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond,
      rssBytes: Number(fields[21]) * pageBytes,
    };
  } catch {
    return undefined;
  }
}
