import { leaseExpiry, onlineAmong, userPresenceKey } from './presence';

describe('presence rules', () => {
  it('keys leases by user', () => {
    expect(userPresenceKey('u1')).toBe('presence:user:u1');
  });

  it('extends a lease by the TTL from now', () => {
    expect(leaseExpiry(1_000, 60)).toBe(61_000);
  });

  it('counts a user online while any device holds a live lease', () => {
    expect(onlineAmong(['a', 'b', 'c'], [2, 0, 1])).toEqual(['a', 'c']);
  });
});
