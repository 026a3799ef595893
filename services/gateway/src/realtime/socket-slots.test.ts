import { InMemorySocketSlots } from './socket-slots';

const socket = (userId: string, socketId: string) => ({ userId, socketId });

describe('in-memory socket slots', () => {
  it('refuses a user past the cap while another user still gets a slot', async () => {
    const slots = new InMemorySocketSlots(() => 0);
    expect(await slots.claim(socket('alice', 'a1'), 2, 60_000)).toBe(true);
    expect(await slots.claim(socket('alice', 'a2'), 2, 60_000)).toBe(true);
    expect(await slots.claim(socket('alice', 'a3'), 2, 60_000)).toBe(false);
    expect(await slots.claim(socket('bob', 'b1'), 2, 60_000)).toBe(true);
  });

  it('gives a released slot back and forgets a user with none left', async () => {
    const slots = new InMemorySocketSlots(() => 0);
    await slots.claim(socket('alice', 'a1'), 1, 60_000);
    await slots.release(socket('alice', 'a1'));
    expect(slots.users).toBe(0);
    expect(await slots.claim(socket('alice', 'a2'), 1, 60_000)).toBe(true);
  });

  it('lets a slot lapse when its gateway stops renewing it, and keeps a renewed one', async () => {
    let now = 0;
    const slots = new InMemorySocketSlots(() => now);
    await slots.claim(socket('alice', 'kept'), 2, 1000);
    await slots.claim(socket('alice', 'orphan'), 2, 1000);
    now = 900;
    await slots.renew([socket('alice', 'kept')], 1000);
    now = 1500;
    expect(await slots.claim(socket('alice', 'new'), 2, 1000)).toBe(true);
    expect(await slots.claim(socket('alice', 'one more'), 2, 1000)).toBe(false);
  });

  it('does not take a released slot again on renewal', async () => {
    const slots = new InMemorySocketSlots(() => 0);
    await slots.claim(socket('alice', 'a1'), 1, 1000);
    await slots.release(socket('alice', 'a1'));
    await slots.renew([socket('alice', 'a1')], 1000);
    expect(await slots.claim(socket('alice', 'a2'), 1, 1000)).toBe(true);
  });
});
