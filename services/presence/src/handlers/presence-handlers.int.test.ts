import { contracts, presenceSubjects } from '@pneumatic/contracts';
import { Bus, connectRedis, type Redis } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import { PresenceStore } from '../store/presence-store';
import { registerPresenceHandlers } from './presence-handlers';

describe('presence handlers (real NATS and Redis)', () => {
  let ctx: TestContext;
  let bus: Bus;
  let redis: Redis;

  beforeAll(async () => {
    ctx = await createTestContext('presence');
    bus = await ctx.connectBus();
    redis = await connectRedis(ctx.redisUrl, ctx.redisPrefix, ctx.logger);
    registerPresenceHandlers(bus, new PresenceStore(redis, 60), ctx.logger);
    await bus.flush();
  });
  afterAll(async () => {
    await redis.quit();
    await ctx.cleanup();
  });

  const online = async (ids: string[]) => (await bus.call(contracts.presenceQuery, { user_ids: ids })).online;

  it('keeps a user online while any of their devices is connected', async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    bus.publish(presenceSubjects.connected, { user_id: alice, connection_id: 'phone', gateway_id: 'g1' });
    bus.publish(presenceSubjects.connected, { user_id: alice, connection_id: 'laptop', gateway_id: 'g2' });
    await waitFor('alice online', async () => (await online([alice, bob])).includes(alice));
    expect(await online([alice, bob])).toEqual([alice]);

    bus.publish(presenceSubjects.disconnected, { user_id: alice, connection_id: 'phone', gateway_id: 'g1' });
    await bus.flush();
    await waitFor('phone lease released', async () => (await redis.zcard(`presence:user:${alice}`)) === 1);
    expect(await online([alice])).toEqual([alice]);

    bus.publish(presenceSubjects.disconnected, { user_id: alice, connection_id: 'laptop', gateway_id: 'g2' });
    await waitFor('alice offline', async () => (await online([alice])).length === 0);
  });

  it('renews every connection of a gateway from one heartbeat', async () => {
    const users = [randomUUID(), randomUUID()];
    bus.publish(presenceSubjects.heartbeat, {
      gateway_id: 'g1',
      connections: users.map((user_id, i) => ({ user_id, connection_id: `c${i}` })),
    });
    await waitFor('both online', async () => (await online(users)).length === 2);
    const ttl = await redis.ttl(`presence:user:${users[0]}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('rejects a query with ids that are not UUIDs', async () => {
    await expect(bus.call(contracts.presenceQuery, { user_ids: ['nope'] })).rejects.toMatchObject({ code: 'validation_error' });
  });
});
