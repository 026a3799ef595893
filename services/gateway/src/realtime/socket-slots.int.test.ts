import { connectRedis, createLogger, type Redis } from '@pneumatic/platform';
import { findInfrastructure, uniqueName } from '@pneumatic/testkit';
import { redisSocketSlots } from './socket-slots';

/** The slots every gateway shares, against a real Redis under a prefix of its own. */
describe('redis socket slots (real Redis)', () => {
  let redis: Redis;
  let now = 1_000_000;
  const clock = () => now;
  const socket = (userId: string, socketId: string) => ({ userId, socketId });

  beforeAll(async () => {
    const infra = await findInfrastructure();
    redis = await connectRedis(infra.redisUrl, `${uniqueName('slots')}:`, createLogger('slots', 'silent'));
  });
  afterAll(() => redis.quit());

  it('counts a user across gateways up to the cap, then refuses; another user is unaffected', async () => {
    const gatewayA = redisSocketSlots(redis, clock);
    const gatewayB = redisSocketSlots(redis, clock);
    expect(await gatewayA.claim(socket('alice', 'a1'), 2, 60_000)).toBe(true);
    expect(await gatewayB.claim(socket('alice', 'b1'), 2, 60_000)).toBe(true);
    expect(await gatewayA.claim(socket('alice', 'a2'), 2, 60_000)).toBe(false);
    expect(await gatewayB.claim(socket('bob', 'b2'), 2, 60_000)).toBe(true);
    await gatewayB.release(socket('alice', 'b1'));
    expect(await gatewayA.claim(socket('alice', 'a2'), 2, 60_000)).toBe(true);
  });

  it("lets a crashed gateway's slots lapse while renewed ones hold, and keeps the key's TTL bounded", async () => {
    const live = redisSocketSlots(redis, clock);
    const crashed = redisSocketSlots(redis, clock);
    await live.claim(socket('carol', 'live'), 2, 1000);
    await crashed.claim(socket('carol', 'crashed'), 2, 1000);
    now += 900;
    await live.renew([socket('carol', 'live'), socket('carol', 'released-before')], 1000);
    now += 600;
    expect(await live.claim(socket('carol', 'new'), 2, 1000)).toBe(true);
    expect(await live.claim(socket('carol', 'one more'), 2, 1000)).toBe(false);
    expect(await redis.zrange('ws:sockets:carol', 0, -1)).toEqual(expect.arrayContaining(['live', 'new']));
    expect(await redis.zcard('ws:sockets:carol')).toBe(2);
    const ttl = await redis.pttl('ws:sockets:carol');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
  });
});
