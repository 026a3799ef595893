import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** argon2id hashing with the deployment's cost parameters. */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly params: Argon2Params) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.params });
  }

  /**
   * Checks a password against a stored hash. With no hash (unknown user) it still runs one
   * verification, against a hash made with the same parameters, so the answer takes as long
   * and a caller cannot tell unknown usernames by timing.
   */
  async verify(hash: string | null, password: string): Promise<boolean> {
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex'));
    const target = hash ?? (await this.dummyHash);
    const matches = await argon2.verify(target, password).catch(() => false);
    return hash !== null && matches;
  }

  /** True when the hash was made with another algorithm or weaker parameters than configured now. */
  needsRehash(hash: string): boolean {
    return !hash.startsWith('$argon2id$') || argon2.needsRehash(hash, this.params);
  }
}
