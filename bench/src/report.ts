import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScenarioResult } from './scenario';

export interface Run {
  date: string;
  commit: string;
  machine: string;
  target: string;
  results: ScenarioResult[];
}

export const describeMachine = () =>
  `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;

export function markdown(run: Run): string {
  const lines = [
    `Run ${run.date}, commit ${run.commit}, ${run.machine}; target ${run.target}.`,
    '',
    '| scenario | figures | latency p50 / p99 (ms) | sent / acked / delivered / lost / dup | checks |',
    '|---|---|---|---|---|',
  ];
  for (const r of run.results) {
    const figures = Object.entries(r.figures).map(([k, v]) => `${k} ${v}`).join(', ');
    const latency = r.latencyMs ? `${r.latencyMs.p50} / ${r.latencyMs.p99}` : '-';
    const t = r.totals;
    const counts = t ? `${t.sent} / ${t.acknowledged} / ${t.delivered} / ${t.lost} / ${t.duplicated}` : '-';
    const checks = r.checks.map((c) => `${c.pass ? 'PASS' : 'MISS'} ${c.what} ${c.actual} (${c.target})`).join('; ');
    lines.push(`| ${r.name} | ${figures} | ${latency} | ${counts} | ${checks} |`);
  }
  return lines.join('\n') + '\n';
}

/** A bar chart per scenario of how many deliveries fell in each latency bucket. */
function latencyChart(run: Run): string {
  const charts = run.results.filter((r) => r.latencyHistogram);
  const width = 720;
  const rowHeight = 170;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${charts.length * rowHeight + 20}" font-family="sans-serif" font-size="11">`];
  charts.forEach((r, row) => {
    const { boundsMs, counts } = r.latencyHistogram!;
    const max = Math.max(1, ...counts);
    const top = row * rowHeight + 20;
    const barWidth = (width - 60) / counts.length;
    parts.push(`<text x="10" y="${top}" font-weight="bold">${escape(r.name)}: deliveries by latency (ms)</text>`);
    counts.forEach((count, i) => {
      const h = (count / max) * 110;
      const x = 40 + i * barWidth;
      parts.push(`<rect x="${x}" y="${top + 120 - h}" width="${barWidth - 4}" height="${h}" fill="#3b82f6"><title>${count}</title></rect>`);
      parts.push(`<text x="${x}" y="${top + 135}">≤${boundsMs[i]}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const escape = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

export function writeRun(run: Run, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const stamp = run.date.replace(/[:.]/g, '-');
  writeFileSync(path.join(dir, `bench-${stamp}.json`), JSON.stringify(run, null, 2));
  writeFileSync(path.join(dir, `bench-${stamp}.md`), markdown(run));
  writeFileSync(path.join(dir, `bench-${stamp}-latency.svg`), latencyChart(run));
  return path.join(dir, `bench-${stamp}`);
}
