/**
 * `npm run bench -- [--stack | --url http://gw1,http://gw2] [--scenarios closed,bare,open,fanout,idle,history,overload,login-flood,kafka,capacity]
 *                   [--anchor] [--gateways 2] [--messages-replicas 1] [--calibration-rates 300,700] [--duration 10] [--warmup 3] [--rate 1000] [--idle-sockets 19500] [--history-messages 1000000]
 *                   [--database-url postgres://…] [--out bench-results]`
 */
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startLocalStack, type LocalStack } from './local-stack';
import { describeMachine, markdown, writeRun, type Run } from './report';
import type { Target } from './population';
import type { ScenarioContext, ScenarioResult } from './scenario';
import { startMockKafka } from '@pneumatic/testkit';
import { bareChain } from './scenarios/bare-chain';
import { closedLoop } from './scenarios/closed-loop';
import { fanout } from './scenarios/fanout';
import { historyReads } from './scenarios/history';
import { idleSockets } from './scenarios/idle';
import { startAnchorStack } from './anchor/anchor-stack';
import { anchorName, compareWithAnchor } from './anchor/comparison';
import { capacity, type CapacityOptions } from './scenarios/capacity';
import { kafkaExport } from './scenarios/kafka-export';
import { loginFlood, loginFloodStackEnv } from './scenarios/login-flood';
import { openLoop } from './scenarios/open-loop';
import { overload } from './scenarios/overload';

const { values } = parseArgs({
  options: {
    stack: { type: 'boolean', default: false },
    url: { type: 'string' },
    scenarios: { type: 'string', default: 'closed,bare,open,fanout,idle,history,overload,login-flood' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rate: { type: 'string', default: '1000' },
    'idle-sockets': { type: 'string', default: '19500' },
    'history-messages': { type: 'string', default: '1000000' },
    'database-url': { type: 'string' },
    'stack-port': { type: 'string', default: '18000' },
    // The local stack's topology (scripts/stack.ts), e.g. 4 and 2 for the capacity model's check.
    gateways: { type: 'string', default: '2' },
    'messages-replicas': { type: 'string', default: '1' },
    'calibration-rates': { type: 'string', default: '300,700' },
    // Also run the closed, open (at --rate and 2,000/s), fan-out (100) and idle loads against a
    // socket.io + Postgres server (bench/src/anchor) and print both columns with their ratios.
    anchor: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results' },
  },
});

async function main(): Promise<void> {
  const wanted = new Set(values.scenarios!.split(','));
  // The login flood runs on a stack of its own, so the shared one is started only for the others.
  const sharedStackWanted = [...wanted].some((name) => name !== 'login-flood');
  // Not in the default list: it needs librdkafka's mock broker (scripts/ensure-kafka-mock.sh), which
  // stands in for Kafka here; the local stack then runs the exporter against it.
  const kafka = wanted.has('kafka') && !values.url ? await startMockKafka() : undefined;
  await kafka?.createTopic('pneumatic.events', 3);
  const stack =
    values.url || !sharedStackWanted
      ? undefined
      : await startLocalStack(Number(values['stack-port']), {
          STACK_GATEWAYS: values.gateways!,
          STACK_MESSAGES_REPLICAS: values['messages-replicas']!,
          ...(kafka ? { KAFKA_BROKERS: kafka.brokers.join(',') } : {}),
        });
  const gateways = values.url ? values.url.split(',') : (stack?.gateways ?? []);
  const databaseUrl = values['database-url'] ?? stack?.databaseUrl;
  const ctx: ScenarioContext = {
    target: { gateways },
    durationSeconds: Number(values.duration),
    warmupSeconds: Number(values.warmup),
    metrics: async (i) => (await fetch(`${gateways[i]}/metrics`)).text(),
  };
  const results: ScenarioResult[] = [];
  const run = async (name: string, scenario: () => Promise<ScenarioResult>, rename = (n: string) => n) => {
    if (!wanted.has(name)) return;
    try {
      const result = await scenario();
      result.name = rename(result.name);
      results.push(result);
      announce(result);
    } catch (err) {
      console.error(`scenario ${name} failed:`, err);
      results.push({ name: rename(name), parameters: {}, figures: { error: String(err) }, checks: [{ what: 'ran', target: 'yes', actual: 'no', pass: false }] });
    }
  };
  const openRates = values.anchor ? [Number(values.rate), 2000] : [Number(values.rate)];
  try {
    await run('closed', () => closedLoop(ctx));
    // The bare chain needs the Postgres and NATS of the machine it measures.
    if (databaseUrl) await run('bare', () => bareChain(ctx, databaseUrl));
    else if (wanted.has('bare')) console.error('bare needs --database-url (or --stack) for its Postgres; skipped');
    for (const rate of openRates) await run('open', () => openLoop(ctx, rate));
    for (const size of [10, 100, 1000]) await run('fanout', () => fanout(ctx, size));
    await run('idle', () => idleSockets(ctx, Number(values['idle-sockets'])));
    if (databaseUrl) await run('history', () => historyReads(ctx, databaseUrl, Number(values['history-messages'])));
    else if (wanted.has('history')) console.error('history needs --database-url (or --stack) to seed messages; skipped');
    const served = Number(results.find((r) => r.name === 'closed loop')?.figures.persistedMessagesPerSecond ?? 1000);
    await run('overload', () => overload(ctx, served));
    if (stack) await run('capacity', () => capacity(ctx, capacityOptions(stack)));
    else if (wanted.has('capacity')) console.error('capacity needs the local stack (no --url): it reads its processes from /proc; skipped');
    if (stack?.exporter) await run('kafka', () => kafkaExport(ctx, { exporter: stack.exporter!, databaseUrl: stack.databaseUrl, prefix: stack.prefix }));
    else if (wanted.has('kafka')) console.error('kafka needs the local stack (no --url): it runs the exporter against its own mock broker; skipped');
  } finally {
    await stack?.stop();
    await kafka?.stop();
  }
  if (values.anchor) {
    // The same load definitions against the server a team would write instead, after Pneumatic's stack has stopped.
    const anchor = await startAnchorStack(Number(values['stack-port']));
    const anchorCtx: ScenarioContext = { ...ctx, target: { gateways: anchor.urls, anchor: { secret: anchor.secret } }, metrics: async (i) => (await fetch(`${anchor.urls[i]}/metrics`)).text() };
    try {
      await run('closed', () => closedLoop(anchorCtx), anchorName);
      for (const rate of openRates) await run('open', () => openLoop(anchorCtx, rate), anchorName);
      await run('fanout', () => fanout(anchorCtx, 100), anchorName);
      await run('idle', () => idleSockets(anchorCtx, Number(values['idle-sockets'])), anchorName);
    } finally {
      await anchor.stop();
    }
    const { table, result } = compareWithAnchor(results);
    results.push(result);
    console.log(`\n${table}\n`);
  }
  await run('login-flood', () => (values.url ? loginFlood(ctx) : onOwnStack('login_flood', loginFloodStackEnv, (target) => loginFlood({ ...ctx, target }))));
  const report: Run = {
    date: new Date().toISOString(),
    commit: commitOf(),
    machine: describeMachine(),
    target: values.url ?? `local stack (${values.gateways} gateways, ${values['messages-replicas']} messages)`,
    results,
  };
  const file = writeRun(report, values.out!);
  console.log(`\n${markdown(report)}\nwritten: ${file}.{json,md} and ${file}-latency.svg`);
  const failing = results.flatMap((r) => r.checks.filter((c) => !c.pass).map((c) => `${r.name}: ${c.what}`));
  if (failing.length) console.log(`\nMISSED: ${failing.join('; ')}`);
}

function capacityOptions(stack: LocalStack): CapacityOptions {
  const port = (url: string | undefined, fallback: number) => Number(url ? new URL(url).port || fallback : fallback);
  const [low, high] = values['calibration-rates']!.split(',').map(Number) as [number, number];
  return {
    scope: {
      stackPid: stack.pid,
      database: new URL(stack.databaseUrl).pathname.slice(1),
      natsPort: port(process.env.NATS_URL, 4222),
      redisPort: port(process.env.REDIS_URL, 6379),
    },
    calibrationRates: [low, high],
    users: 20,
  };
}

/** Runs `scenario` on a local stack of its own, started with `settings` once the shared one has stopped. */
async function onOwnStack(name: string, settings: Record<string, string>, scenario: (target: Target) => Promise<ScenarioResult>): Promise<ScenarioResult> {
  const own = await startLocalStack(Number(values['stack-port']), settings, `pneumatic_bench_${name}`);
  try {
    return await scenario({ gateways: own.gateways });
  } finally {
    await own.stop();
  }
}

/** Loss and duplication are said loudly: they are correctness failures, not slowness. */
function announce(result: ScenarioResult): void {
  const t = result.totals;
  if (t && (t.lost > 0 || t.duplicated > 0)) {
    console.error(`\n!!! ${result.name}: ${t.lost} LOST and ${t.duplicated} DUPLICATED deliveries !!!\n`);
  }
}

function commitOf(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
