import { PasswordHasher } from './password-hasher';
import { WorkQueue } from './work-queue';

const params = { memoryCost: 1024, timeCost: 2, parallelism: 1 };

describe('password hasher', () => {
  const hasher = new PasswordHasher(params, new WorkQueue(2, 10));

  it('hashes with argon2id and verifies only the right password', async () => {
    const hash = await hasher.hash('correct horse');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(hash).not.toContain('correct horse');
    expect(await hasher.verify(hash, 'correct horse')).toBe(true);
    expect(await hasher.verify(hash, 'wrong horse')).toBe(false);
  });

  it('never accepts a password for an unknown user', async () => {
    expect(await hasher.verify(null, 'anything')).toBe(false);
  });

  it('treats a malformed stored hash as a mismatch', async () => {
    expect(await hasher.verify('not-a-hash', 'anything')).toBe(false);
  });

  it('refuses work past its queue with overloaded instead of waiting', async () => {
    const busy = new PasswordHasher(params, new WorkQueue(1, 0));
    const first = busy.hash('one');
    await expect(busy.hash('two')).rejects.toMatchObject({ code: 'overloaded' });
    expect(await first).toMatch(/^\$argon2id\$/);
  });

  it('asks for a rehash when the parameters changed', async () => {
    const weaker = await new PasswordHasher({ ...params, timeCost: 1 }, new WorkQueue(1, 10)).hash('pw');
    expect(hasher.needsRehash(weaker)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('pw'))).toBe(false);
  });
});
