/**
 * The soak (`npm run test:soak`, not in CI): the chaos stack under the same steady load for
 * SOAK_MINUTES (default 10), sampling every process's resident memory and event-loop lag p99 from
 * its /metrics every SOAK_SAMPLE_SECONDS. Growth must level off: each process's peak memory in the
 * second half stays within 25 % (+16 MiB) of its peak in the first half, and the lag stays bounded.
 * Afterwards every acknowledged message is stored once and shown to every member, as in chaos.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ChatLoad } from './harness/chat-load';
import { checkDelivery } from './harness/delivery-check';
import { PrivateInfrastructure } from './harness/private-infrastructure';
import { sampleProcesses, type ProcessSample } from './harness/process-metrics';
import { StackUnderTest } from './harness/stack-under-test';

const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const sampleSeconds = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10);
const maxLagSeconds = 1;

jest.setTimeout(minutes * 60_000 + 300_000);

let infra: PrivateInfrastructure;
let stack: StackUnderTest;
let load: ChatLoad;

afterAll(async () => {
  load?.close();
  await stack?.stop();
  await infra?.stop();
});

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

it(`holds memory and event-loop lag level for ${minutes} minutes under load`, async () => {
  infra = await PrivateInfrastructure.start();
  stack = await StackUnderTest.start(infra);
  load = await ChatLoad.againstStack(stack);
  const samples: ProcessSample[] = [];
  load.start('soak');
  const started = Date.now();
  while (Date.now() - started < minutes * 60_000) {
    samples.push(...(await sampleProcesses(stack)));
    await new Promise((r) => setTimeout(r, sampleSeconds * 1000));
  }
  await load.stop();
  const report = await checkDelivery(stack.httpUrl(0), load, 'soak');

  const file = path.resolve(__dirname, '..', '..', 'test-results', 'soak-samples.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ minutes, counts: report.counts, samples }, null, 2));

  const problems: string[] = [...report.violations];
  const curve: string[] = [];
  for (const name of stack.processNames) {
    const mine = samples.filter((s) => s.process === name);
    const half = Math.floor(mine.length / 2);
    const peak = (xs: ProcessSample[]) => Math.max(...xs.map((s) => s.rssBytes));
    const [first, second] = [peak(mine.slice(0, half)), peak(mine.slice(half))];
    const lag = Math.max(...mine.map((s) => s.eventLoopLagP99Seconds));
    curve.push(`${name}: rss MiB ${mine.map((s) => mib(s.rssBytes)).join(' ')} | max lag p99 ${lag.toFixed(3)} s`);
    if (mine.length < 4) problems.push(`${name}: only ${mine.length} samples`);
    if (second > first * 1.25 + 16 * 1024 * 1024) problems.push(`${name}: memory still growing (${mib(first)} → ${mib(second)} MiB)`);
    if (lag > maxLagSeconds) problems.push(`${name}: event-loop lag p99 reached ${lag} s`);
  }
  console.log(`soak ${minutes} min, counts ${JSON.stringify(report.counts)}\n${curve.join('\n')}`);
  expect(problems).toEqual([]);
  expect(report.counts.lost).toBe(0);
  expect(report.counts.delivered).toBe(report.counts.expectedDeliveries);
});
