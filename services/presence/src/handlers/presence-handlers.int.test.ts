import { UserStatusV1, contracts, presenceSubjects } from '@pneumatic/contracts';
import { Bus, connectRedis } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import { PresenceStore, type PresenceTimings } from '../store/presence-store';
import { OfflineSweeper } from './offline-sweeper';
import { registerPresenceHandlers } from './presence-handlers';

/** Short leases so expiry and grace happen within a test; sweeps often so they are noticed soon. */
const timings: PresenceTimings = { ttlSeconds: 2, graceSeconds: 1 };

/** One presence replica: its own NATS connection, Redis client and sweeper, sharing the suite's prefixes. */
async function startReplica(ctx: TestContext, name: string) {
  const bus = await ctx.connectBus(name);
  const redis = await connectRedis(ctx.redisUrl, ctx.redisPrefix, ctx.logger);
  const store = new PresenceStore(redis, timings);
  registerPresenceHandlers(bus, store, ctx.logger);
  const sweeper = new OfflineSweeper(bus, store, ctx.logger);
  sweeper.start(100);
  await bus.flush();
  return { store, redis, stop: async () => (await sweeper.stop(), await redis.quit()) };
}

describe('presence handlers (real NATS and Redis, two replicas)', () => {
  let ctx: TestContext;
  let gateway: Bus;
  let replicas: Awaited<ReturnType<typeof startReplica>>[];
  const statuses: { user_id: string; status: string }[] = [];

  beforeAll(async () => {
    ctx = await createTestContext('presence');
    replicas = [await startReplica(ctx, 'presence-a'), await startReplica(ctx, 'presence-b')];
    gateway = await ctx.connectBus('gateway');
    gateway.subscribe(presenceSubjects.status, UserStatusV1, (e) => statuses.push(e.data));
    await gateway.flush();
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await ctx.cleanup();
  });

  const online = async (ids: string[]) => (await gateway.call(contracts.presenceQuery, { user_ids: ids })).online;
  const statusesOf = (userId: string) => statuses.filter((s) => s.user_id === userId).map((s) => s.status);
  const connect = (user_id: string, connection_id: string, gateway_id = 'g1') =>
    gateway.publish(presenceSubjects.connected, { user_id, connection_id, gateway_id });
  const disconnect = (user_id: string, connection_id: string, gateway_id = 'g1') =>
    gateway.publish(presenceSubjects.disconnected, { user_id, connection_id, gateway_id });
  const heartbeat = (users: string[], gateway_id = 'g1') =>
    gateway.publish(presenceSubjects.heartbeat, { gateway_id, connections: users.map((user_id) => ({ user_id, connection_id: `hb-${user_id}` })) });

  it('keeps a user online while any of their devices is connected, announcing each change once', async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    connect(alice, 'phone', 'g1');
    connect(alice, 'laptop', 'g2');
    await waitFor('alice online', async () => (await online([alice, bob])).includes(alice));
    expect(await online([alice, bob])).toEqual([alice]);

    disconnect(alice, 'phone', 'g1');
    await gateway.flush();
    await waitFor('phone lease released', async () => (await replicas[0]!.redis.zcard(`presence:user:${alice}`)) === 1);
    // Past the grace period of the phone alone, the laptop still holds her online.
    await new Promise((r) => setTimeout(r, timings.graceSeconds * 1000 + 300));
    expect(await online([alice])).toEqual([alice]);
    expect(statusesOf(alice)).toEqual(['online']);

    disconnect(alice, 'laptop', 'g2');
    await waitFor('alice offline announced', () => statusesOf(alice).length === 2, 10_000);
    expect(statusesOf(alice)).toEqual(['online', 'offline']);
    expect(await online([alice])).toEqual([]);
  });

  it('does not flap when a device reconnects within the grace period', async () => {
    const carol = randomUUID();
    connect(carol, 'c1');
    await waitFor('carol online', () => statusesOf(carol).length === 1);
    disconnect(carol, 'c1');
    connect(carol, 'c2');
    await gateway.flush();
    await waitFor('reconnect recorded', async () => (await replicas[0]!.redis.zscore(`presence:user:${carol}`, 'c2')) !== null);
    // Wait out the grace period of c1 and a few sweeps: still online, nothing announced.
    await new Promise((r) => setTimeout(r, timings.graceSeconds * 1000 + 500));
    expect(await online([carol])).toEqual([carol]);
    expect(statusesOf(carol)).toEqual(['online']);
    disconnect(carol, 'c2');
    await waitFor('carol offline', () => statusesOf(carol).length === 2, 10_000);
    expect(statusesOf(carol)).toEqual(['online', 'offline']);
  });

  it('renews every connection of a gateway from one heartbeat, and expires them when heartbeats stop', async () => {
    const users = [randomUUID(), randomUUID()];
    heartbeat(users);
    await waitFor('both online', async () => (await online(users)).length === 2);
    heartbeat(users);
    await gateway.flush();
    // No goodbye: the leases run out (TTL), then the grace period, then exactly one offline each.
    await waitFor('both offline announced', () => users.every((u) => statusesOf(u).length === 2), 15_000);
    for (const u of users) expect(statusesOf(u)).toEqual(['online', 'offline']);
    expect(await online(users)).toEqual([]);
  });

  it('ignores a heartbeat that arrives after its connection closed', async () => {
    const dave = randomUUID();
    connect(dave, 'd1');
    await waitFor('dave online', () => statusesOf(dave).length === 1);
    disconnect(dave, 'd1');
    await gateway.flush();
    gateway.publish(presenceSubjects.heartbeat, { gateway_id: 'g1', connections: [{ user_id: dave, connection_id: 'd1' }] });
    await waitFor('dave offline', () => statusesOf(dave).length === 2, 10_000);
    expect(statusesOf(dave)).toEqual(['online', 'offline']);
  });

  it('lets exactly one of two racing replicas take a user online, and offline', async () => {
    const erin = randomUUID();
    const lease = { user_id: erin, connection_id: 'e1' };
    const [a, b] = await Promise.all(replicas.map((r) => r.store.renew([lease])));
    expect([...a!, ...b!]).toEqual([erin]);
    await replicas[0]!.store.release(lease);
    // Both replicas' sweepers run, and the test sweeps through both stores at once as well.
    const claimedHere: string[] = [];
    await waitFor(
      'erin claimed offline',
      async () => {
        const swept = await Promise.all([...replicas, ...replicas].map((r) => r.store.sweepOffline()));
        claimedHere.push(...swept.flatMap((s) => s.offline).filter((u) => u === erin));
        return (await replicas[0]!.redis.exists(`presence:announced:${erin}`)) === 0;
      },
      10_000,
    );
    await gateway.flush();
    await new Promise((r) => setTimeout(r, 300)); // lets a sweeper's publish, if it won, arrive
    expect(claimedHere.length + statusesOf(erin).filter((s) => s === 'offline').length).toBe(1);
  });

  it('publishes one transition per change across many users with both replicas sweeping', async () => {
    const users = Array.from({ length: 20 }, () => randomUUID());
    users.forEach((u) => connect(u, `m-${u}`));
    await waitFor('all online', () => users.every((u) => statusesOf(u).length === 1));
    users.forEach((u) => disconnect(u, `m-${u}`));
    await waitFor('all offline', () => users.every((u) => statusesOf(u).length === 2), 10_000);
    await new Promise((r) => setTimeout(r, 500)); // a few more sweeps by both replicas
    for (const u of users) expect(statusesOf(u)).toEqual(['online', 'offline']);
  });

  it('rejects a query with ids that are not UUIDs', async () => {
    await expect(gateway.call(contracts.presenceQuery, { user_ids: ['nope'] })).rejects.toMatchObject({ code: 'validation_error' });
  });
});
