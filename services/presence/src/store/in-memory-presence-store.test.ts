import { InMemoryPresenceStore } from './in-memory-presence-store';

// The Redis store's rules (presence-scripts.ts) on a hand-driven clock: TTL 10 s, grace 5 s.
describe('in-memory presence store', () => {
  let now = 1_000_000;
  const store = () => new InMemoryPresenceStore({ ttlSeconds: 10, graceSeconds: 5 }, () => now);
  const lease = (user: string, conn: string) => ({ user_id: user, connection_id: conn });

  it('takes a user online once however many devices renew, and offline a grace period after the last lease ends', async () => {
    const s = store();
    expect(await s.renew([lease('u', 'c1'), lease('u', 'c2')])).toEqual(['u']);
    expect(await s.renew([lease('u', 'c1')])).toEqual([]);
    await s.release(lease('u', 'c1'));
    await s.release(lease('u', 'c2'));
    now += 4_000;
    expect(await s.online(['u'])).toEqual(['u']);
    expect((await s.sweepOffline()).offline).toEqual([]);
    now += 1_001;
    expect(await s.online(['u'])).toEqual([]);
    expect((await s.sweepOffline()).offline).toEqual(['u']);
    expect((await s.sweepOffline()).offline).toEqual([]);
  });

  it('makes a reconnect within the grace period no transition', async () => {
    const s = store();
    await s.renew([lease('u', 'c1')]);
    await s.release(lease('u', 'c1'));
    now += 3_000;
    expect(await s.renew([lease('u', 'c2')])).toEqual([]);
    now += 3_000;
    expect((await s.sweepOffline()).offline).toEqual([]);
    expect(await s.online(['u'])).toEqual(['u']);
  });

  it('lets an unrenewed lease expire (a dead gateway) and refuses a heartbeat racing its own disconnect', async () => {
    const s = store();
    await s.renew([lease('u', 'c1')]);
    now += 15_001;
    expect((await s.sweepOffline()).offline).toEqual(['u']);
    await s.release(lease('v', 'gone'));
    expect(await s.renew([lease('v', 'gone')])).toEqual([]);
    expect(await s.online(['v'])).toEqual([]);
  });
});
