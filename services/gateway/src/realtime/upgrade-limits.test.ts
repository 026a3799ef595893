import { createLogger } from '@pneumatic/platform';
import { InMemoryRateCounter, type RateCounter } from '../http/rate-limits';
import { UpgradeLimiter } from './upgrade-limits';

const logger = createLogger('upgrade-limits', 'silent');
const settings = { windowSeconds: 60, perAddress: 2, perUser: 1 };

describe('upgrade limiter', () => {
  it('refuses an address past its limit, saying when to retry, and leaves other addresses alone', async () => {
    const limiter = new UpgradeLimiter(new InMemoryRateCounter(), settings, logger);
    expect(await limiter.byAddress('203.0.113.7')).toBeUndefined();
    expect(await limiter.byAddress('203.0.113.7')).toBeUndefined();
    expect(await limiter.byAddress('203.0.113.7')).toBe('too many connection attempts from this address; retry after 60 s');
    expect(await limiter.byAddress('203.0.113.8')).toBeUndefined();
  });

  it('counts users apart from addresses', async () => {
    const limiter = new UpgradeLimiter(new InMemoryRateCounter(), settings, logger);
    expect(await limiter.byAddress('alice')).toBeUndefined();
    expect(await limiter.byUser('alice')).toBeUndefined();
    expect(await limiter.byUser('alice')).toMatch(/^too many connection attempts of this user/);
  });

  it('fails open while its store is down', async () => {
    const down: RateCounter = { hit: () => Promise.reject(new Error('redis down')), refund: () => Promise.resolve() };
    const limiter = new UpgradeLimiter(down, { ...settings, perAddress: 0 }, logger);
    expect(await limiter.byAddress('203.0.113.7')).toBeUndefined();
  });
});
