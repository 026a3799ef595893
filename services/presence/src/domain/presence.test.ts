import { UserStatusV1 } from '@pneumatic/contracts';
import { inChunks, leaseExpiry, offlineDue, presenceKeys, userStatusEvent } from './presence';

describe('presence rules', () => {
  const user = '6f1c2c1e-8a53-4d55-9d42-1b0f0c7f4a11';

  it('keys leases and the announced state by user', () => {
    expect(presenceKeys('u1')).toEqual({ leases: 'presence:user:u1', announced: 'presence:announced:u1' });
  });

  it('extends a lease by the TTL from now', () => {
    expect(leaseExpiry(1_000, 60)).toBe(61_000);
  });

  it('puts a user offline only a grace period after their last lease ends', () => {
    expect(offlineDue(61_000, 5)).toBe(66_000);
    expect(offlineDue(61_000, 0)).toBe(61_000);
  });

  it('describes a transition as a valid UserStatusV1 event', () => {
    const event = userStatusEvent(user, 'offline', new Date('2024-01-01T00:00:00Z'));
    expect(UserStatusV1.parse(event)).toEqual({
      id: expect.any(String),
      type: 'user.status',
      version: 1,
      time: '2024-01-01T00:00:00.000Z',
      data: { user_id: user, status: 'offline' },
    });
  });

  it('splits a batch into bounded chunks, keeping every item once', () => {
    expect(inChunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(inChunks([], 2)).toEqual([]);
  });
});
