import { AnchorSocket, anchorTokens } from '../anchor/anchor-client';
import { ChatApi, ChatSocket, inBatches, type ChatConnection } from '../client';
import { wsBase, type Target } from '../population';
import { progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round } from '../stats';

const residentBytes = (metrics: string) => Number(/^process_resident_memory_bytes(?:\{[^}]*\})? (\S+)/m.exec(metrics)?.[1] ?? NaN);

/** N idle sockets on one gateway; its resident memory growth divided by N. */
export async function idleSockets(ctx: ScenarioContext, sockets: number): Promise<ScenarioResult> {
  const gateway = ctx.target.gateways[0]!;
  // Ten devices per user: under the gateway's cap on sockets per user (WS_MAX_SOCKETS_PER_USER, 20).
  const connect = await idleConnector(ctx.target, Math.ceil(sockets / 10));
  await new Promise((r) => setTimeout(r, 1000));
  const before = residentBytes(await ctx.metrics(0));
  let opened = 0;
  const done = progress('idle', () => `open ${opened}/${sockets}`);
  const open = await inBatches(Array.from({ length: sockets }, (_, i) => i), 200, async (i) => {
    const socket = await connect(gateway, i);
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

/** Opens the i-th idle socket as one of `owners` users, on Pneumatic or on the anchor. */
async function idleConnector(target: Target, owners: number): Promise<(base: string, i: number) => Promise<ChatConnection>> {
  if (target.anchor) {
    const tokens = anchorTokens(target.anchor, owners);
    return (base, i) => AnchorSocket.open(base, tokens[i % owners]!);
  }
  const api = new ChatApi(target.gateways[0]!);
  const accounts = await inBatches(Array.from({ length: owners }, (_, i) => i), 16, (i) => api.account(`idle${process.pid}x${i}`, 'bench-password-1'));
  return (base, i) => ChatSocket.open(wsBase(base), accounts[i % owners]!.token);
}
