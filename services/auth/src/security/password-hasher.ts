import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import type { WorkQueue } from './work-queue';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** argon2id hashing with the deployment's cost parameters; every hash and verification waits its turn in `queue`. */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly params: Argon2Params,
    private readonly queue: WorkQueue,
  ) {}

  hash(password: string): Promise<string> {
    return this.queue.run(() => argon2.hash(password, { type: argon2.argon2id, ...this.params }));
  }

  /**
   * Checks a password against a stored hash. With no hash (unknown user) it still runs one
   * verification, against a hash made with the same parameters, so the answer takes as long
   * and a caller cannot tell unknown usernames by timing.
   */
  async verify(hash: string | null, password: string): Promise<boolean> {
    this.dummyHash ??= argon2.hash(randomBytes(16).toString('hex'), { type: argon2.argon2id, ...this.params });
    const target = hash ?? (await this.dummyHash);
    const matches = await this.queue.run(() => argon2.verify(target, password).catch(() => false));
    return hash !== null && matches;
  }

  /** True when the hash was made with another algorithm or weaker parameters than configured now. */
  needsRehash(hash: string): boolean {
    return !hash.startsWith('$argon2id$') || argon2.needsRehash(hash, this.params);
  }
}
