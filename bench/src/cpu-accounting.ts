import { processStat } from '@pneumatic/testkit';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** CPU seconds used so far and resident bytes now, per component of the system under test. */
export type ComponentUsage = Map<string, { cpuSeconds: number; rssBytes: number; processes: number }>;

export interface AccountingScope {
  /** The stack launcher's pid: its descendants are the services (grouped by service folder). */
  stackPid: number;
  /** The stack's database: Postgres backends serving it count as `postgres`, with the cluster's writers. */
  database: string;
  /** Ports of the shared NATS and Redis servers the stack uses. */
  natsPort: number;
  redisPort: number;
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string;
  cpuSeconds: number;
  rssBytes: number;
}

function readProcess(pid: number): ProcessInfo | undefined {
  const stat = processStat(pid);
  if (!stat) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, ppid: stat.ppid, cmdline, cpuSeconds: stat.cpuMs / 1000, rssBytes: stat.rssBytes };
  } catch {
    return undefined; // exited while being read
  }
}

// A Postgres process title: `postgres: [cluster: ]<user> <database> <client> <state>` for a
// backend, `postgres: [cluster: ]walwriter` and the like for the cluster's own writers.
const postgresTitle = /^postgres: (?:\d+\/\w+: )?(.*)$/;
const clusterWriters = /^(walwriter|checkpointer|background writer|autovacuum)/;

/**
 * Which component a process belongs to, or undefined when it is not part of the system under test.
 * Postgres counts the backends serving the stack's database and the writers of their cluster (the
 * WAL it writes for the stack is theirs to flush), not other databases' backends.
 */
function componentOf(p: ProcessInfo, scope: AccountingScope, stackProcesses: Set<number>, postmaster: number | undefined): string | undefined {
  if (stackProcesses.has(p.pid)) return /services\/([a-z]+)\/dist\/main\.js/.exec(p.cmdline)?.[1];
  const title = postgresTitle.exec(p.cmdline)?.[1];
  if (title !== undefined) return p.ppid === postmaster && (title.split(' ')[1] === scope.database || clusterWriters.test(title)) ? 'postgres' : undefined;
  if (/nats-server/.test(p.cmdline) && p.cmdline.includes(`-p ${scope.natsPort} `)) return 'nats';
  if (/^redis-server/.test(p.cmdline) && p.cmdline.includes(`:${scope.redisPort}`)) return 'redis';
  return undefined;
}

/** One reading of every component's CPU time and memory, the load generator (this process) included. */
export function readUsage(scope: AccountingScope): ComponentUsage {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined);
  const children = new Map<number, number[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const stackProcesses = new Set<number>();
  for (let queue = [scope.stackPid]; queue.length > 0; ) {
    const pid = queue.pop()!;
    stackProcesses.add(pid);
    queue = queue.concat(children.get(pid) ?? []);
  }
  const postmaster = all.find((p) => postgresTitle.exec(p.cmdline)?.[1]?.split(' ')[1] === scope.database)?.ppid;
  const usage: ComponentUsage = new Map();
  const add = (component: string, cpuSeconds: number, rssBytes: number) => {
    const now = usage.get(component) ?? { cpuSeconds: 0, rssBytes: 0, processes: 0 };
    usage.set(component, { cpuSeconds: now.cpuSeconds + cpuSeconds, rssBytes: now.rssBytes + rssBytes, processes: now.processes + 1 });
  };
  for (const p of all) {
    const component = componentOf(p, scope, stackProcesses, postmaster);
    if (component) add(component, p.cpuSeconds, p.rssBytes);
  }
  const self = process.cpuUsage();
  add('load generator', (self.user + self.system) / 1e6, process.memoryUsage().rss);
  return usage;
}

/** CPU seconds each component used between two readings. */
export function cpuBetween(before: ComponentUsage, after: ComponentUsage): Map<string, number> {
  return new Map([...after].map(([component, now]) => [component, Math.max(0, now.cpuSeconds - (before.get(component)?.cpuSeconds ?? 0))]));
}

/** Milliseconds of CPU the whole machine has spent busy (every core, every process) since boot. */
export function machineBusyMs(): number {
  return os.cpus().reduce((sum, cpu) => sum + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq, 0);
}
