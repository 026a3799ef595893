import { ChatApi, ChatSocket, inBatches } from '../client';
import { wsBase } from '../population';
import { progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round } from '../stats';

const residentBytes = (metrics: string) => Number(/^process_resident_memory_bytes(?:\{[^}]*\})? (\S+)/m.exec(metrics)?.[1] ?? NaN);

/** N idle sockets on one gateway; its resident memory growth divided by N. */
export async function idleSockets(ctx: ScenarioContext, sockets: number): Promise<ScenarioResult> {
  const gateway = ctx.target.gateways[0]!;
  const api = new ChatApi(gateway);
  const owners = await inBatches(Array.from({ length: Math.min(100, sockets) }, (_, i) => i), 16, (i) =>
    api.account(`idle${process.pid}x${i}`, 'bench-password-1'),
  );
  await new Promise((r) => setTimeout(r, 1000));
  const before = residentBytes(await ctx.metrics(0));
  let opened = 0;
  const done = progress('idle', () => `open ${opened}/${sockets}`);
  const open = await inBatches(Array.from({ length: sockets }, (_, i) => i), 200, async (i) => {
    const socket = await ChatSocket.open(wsBase(gateway), owners[i % owners.length]!.token);
    opened++;
    return socket;
  });
  done();
  await new Promise((r) => setTimeout(r, 3000));
  const after = residentBytes(await ctx.metrics(0));
  const stillOpen = open.filter((s) => s.open).length;
  open.forEach((s) => s.close());
  const perSocketKiB = round((after - before) / sockets / 1024, 1);
  return {
    name: 'idle sockets',
    parameters: { sockets },
    figures: { gatewayRssBeforeMiB: round(before / 2 ** 20, 1), gatewayRssAfterMiB: round(after / 2 ** 20, 1), perSocketKiB, stillOpen },
    checks: [
      { what: 'memory per idle socket', target: '<= 10 KiB', actual: `${perSocketKiB} KiB`, pass: perSocketKiB <= 10 },
      { what: 'sockets kept open', target: String(sockets), actual: String(stillOpen), pass: stillOpen === sockets },
    ],
  };
}
