import type { Check, ScenarioResult } from '../scenario';
import { round } from '../stats';

/** The name the anchor's run of a scenario is reported under. */
export const anchorName = (scenario: string) => `${scenario} (anchor)`;

interface Row {
  what: string;
  scenario: string;
  /** A figure of the scenario's result, or its latency percentile. */
  read: (r: ScenarioResult) => number | undefined;
  higherIsBetter: boolean;
}

const figure = (key: string) => (r: ScenarioResult) => (typeof r.figures[key] === 'number' ? (r.figures[key] as number) : undefined);
const latency = (p: 'p50' | 'p99') => (r: ScenarioResult) => r.latencyMs?.[p];

const rows: Row[] = [
  { what: 'closed loop, pairs: persisted msg/s', scenario: 'closed loop', read: figure('persistedMessagesPerSecond'), higherIsBetter: true },
  { what: 'open loop 1,000/s: delivery p50 (ms)', scenario: 'open loop 1000/s', read: latency('p50'), higherIsBetter: false },
  { what: 'open loop 1,000/s: delivery p99 (ms)', scenario: 'open loop 1000/s', read: latency('p99'), higherIsBetter: false },
  { what: 'open loop 1,000/s: machine CPU per message (ms)', scenario: 'open loop 1000/s', read: figure('machineCpuMsPerMessage'), higherIsBetter: false },
  { what: 'open loop 2,000/s: delivery p99 (ms)', scenario: 'open loop 2000/s', read: latency('p99'), higherIsBetter: false },
  { what: 'fan-out, one room of 100: deliveries/s', scenario: 'fan-out G=100', read: figure('deliveriesPerSecond'), higherIsBetter: true },
  { what: 'idle sockets: memory each (KiB)', scenario: 'idle sockets', read: figure('perSocketKiB'), higherIsBetter: false },
];

/**
 * Pneumatic's figures beside the anchor's (both run in this bench run, one after the other, on the
 * same machine and load definitions), their ratio, and issue #18's goals as checks.
 */
export function compareWithAnchor(results: ScenarioResult[]): { table: string; result: ScenarioResult } {
  const find = (name: string) => results.find((r) => r.name === name);
  const lines = ['| figure | Pneumatic | socket.io + Postgres | Pneumatic / anchor |', '|---|---|---|---|'];
  const figures: Record<string, number | string> = {};
  const value = (row: Row, anchor: boolean) => {
    const r = find(anchor ? anchorName(row.scenario) : row.scenario);
    return r ? row.read(r) : undefined;
  };
  for (const row of rows) {
    const [ours, theirs] = [value(row, false), value(row, true)];
    const ratio = ours !== undefined && theirs ? round(ours / theirs, 2) : undefined;
    if (ratio !== undefined) figures[row.what] = ratio;
    lines.push(`| ${row.what} | ${ours ?? '-'} | ${theirs ?? '-'} | ${ratio ?? '-'}${ratio === undefined ? '' : row.higherIsBetter ? ' (higher is better)' : ' (lower is better)'} |`);
  }
  const at = (i: number, anchor = false) => value(rows[i]!, anchor);
  const open2000 = find('open loop 2000/s')?.totals;
  const goal = (what: string, target: string, actual: number | undefined, pass: (v: number) => boolean): Check => ({
    what,
    target,
    actual: actual === undefined ? 'not run' : String(actual),
    pass: actual !== undefined && pass(actual),
  });
  const checks: Check[] = [
    goal('closed loop vs anchor', '>= 1.2×', figures[rows[0]!.what] as number | undefined, (v) => v >= 1.2),
    goal('open 1,000/s p99 vs anchor', '<= 1×', figures[rows[2]!.what] as number | undefined, (v) => v <= 1),
    goal('open 1,000/s p50 (ms)', '<= 2', at(1), (v) => v <= 2),
    goal('open 2,000/s p99 (ms)', '<= 15', at(4), (v) => v <= 15),
    goal('open 2,000/s unacknowledged', '0', open2000 && open2000.sent - open2000.acknowledged, (v) => v === 0),
    goal('machine CPU per message at 1,000/s (ms)', '<= 0.6', at(3), (v) => v <= 0.6),
    goal('fan-out G=100 vs anchor', '>= 1.5×', figures[rows[5]!.what] as number | undefined, (v) => v >= 1.5),
    goal('idle memory per socket (KiB)', '<= 8', at(6), (v) => v <= 8),
  ];
  return { table: lines.join('\n'), result: { name: 'comparison with the anchor', parameters: {}, figures, checks } };
}
