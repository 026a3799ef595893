import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import WebSocket from 'ws';
import { progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round, Samples } from '../stats';

/**
 * The closed loop over the same hops as a Pneumatic send, with none of its work: WebSocket to a
 * gateway, NATS request to a writer that commits one row per message to Postgres (group commit,
 * fsync on), reply and room publish, both gateways to the room's sockets. What it reaches on a
 * machine is the ceiling the closed loop's figure there can be read against.
 */
export async function bareChain(ctx: ScenarioContext, databaseUrl: string, users = 20, groupSize = 2): Promise<ScenarioResult> {
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const tag = randomBytes(4).toString('hex');
  const prefix = `bare${tag}`;
  const children: ChildProcess[] = [];
  let sockets: WebSocket[] = [];
  try {
    await started(children, 'writer', [databaseUrl, natsUrl, prefix, `bare_chain_${tag}`]);
    const ports = [await started(children, 'gateway', [natsUrl, prefix]), await started(children, 'gateway', [natsUrl, prefix])];
    sockets = await Promise.all(
      Array.from({ length: users }, (_, i) => open(`ws://127.0.0.1:${ports[i % 2]}/?room=r${Math.floor(i / groupSize)}`)),
    );
    await sendInTurn(sockets, ctx.warmupSeconds, new Samples(), 'bare chain warm-up');
    const latency = new Samples();
    const { sent, seconds } = await sendInTurn(sockets, ctx.durationSeconds, latency, 'bare chain');
    const perSecond = round(sent / seconds, 0);
    return {
      name: 'bare chain',
      parameters: { users, groupSize, seconds: round(seconds, 1), warmupSeconds: ctx.warmupSeconds },
      figures: { committedMessagesPerSecond: perSecond },
      latencyMs: latency.summary(),
      checks: [],
    };
  } finally {
    sockets.forEach((s) => s.close());
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    await Promise.all(running.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')))));
  }
}

/** Forks one part of the chain and resolves with what it reports once ready (a gateway: its port). */
function started(children: ChildProcess[], part: 'writer' | 'gateway', args: string[]): Promise<string> {
  const child = fork(path.join(__dirname, '..', 'bare-chain', `${part}.js`), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (ready) => resolve(String(ready)));
    child.once('exit', (code) => reject(new Error(`bare chain ${part} exited with ${code}`)));
  });
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** How long a socket waits for its own message before the run is called stalled (the gateway's request timeout). */
const echoTimeoutMs = 5000;

/** Each socket sends, waits for its own message to come back, and sends again, for `seconds`. */
async function sendInTurn(sockets: WebSocket[], seconds: number, latency: Samples, label: string) {
  const stopAt = Date.now() + seconds * 1000;
  const begun = performance.now();
  let sent = 0;
  const done = progress(label, () => `committed ${sent}`);
  try {
    await Promise.all(
      sockets.map(
        (ws, i) =>
          new Promise<void>((resolve, reject) => {
            let waitingFor = '';
            let sentAt = 0;
            let stalled: NodeJS.Timeout | undefined;
            const next = () => {
              clearTimeout(stalled);
              if (Date.now() >= stopAt) return resolve();
              waitingFor = `${i}:${randomBytes(6).toString('hex')}`;
              sentAt = performance.now();
              stalled = setTimeout(() => reject(new Error(`bare chain: no echo within ${echoTimeoutMs} ms`)), echoTimeoutMs);
              ws.send(JSON.stringify({ id: waitingFor, content: `load ${waitingFor}` }));
            };
            ws.on('message', (data: Buffer) => {
              if ((JSON.parse(data.toString()) as { id: string }).id !== waitingFor) return;
              latency.add(performance.now() - sentAt);
              sent++;
              next();
            });
            next();
          }),
      ),
    );
  } finally {
    done();
    sockets.forEach((ws) => ws.removeAllListeners('message'));
  }
  return { sent, seconds: (performance.now() - begun) / 1000 };
}
