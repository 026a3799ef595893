import { TokenBucket } from './token-bucket';

/** What one frame earned: handled, refused, or refused and worth a security event. */
export type FrameVerdict = 'allowed' | 'refused' | 'refused_reported';

interface Budget {
  bucket: TokenBucket;
  /** When this user's refusals were last reported; a flood is one event per interval, not one per frame. */
  reportedAt: number;
}

/**
 * One frame allowance per user on this gateway, shared by all of the user's sockets here, so
 * opening more sockets buys no more frames. Freed when the user's last socket goes.
 * Pure (the caller passes the clock).
 */
export class FrameBudgets {
  private readonly budgets = new Map<string, Budget>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly reportIntervalMs: number,
  ) {}

  take(userId: string, now: number): FrameVerdict {
    let budget = this.budgets.get(userId);
    if (!budget) {
      budget = { bucket: new TokenBucket(this.perSecond, this.burst, now), reportedAt: -Infinity };
      this.budgets.set(userId, budget);
    }
    if (budget.bucket.take(now)) return 'allowed';
    if (now - budget.reportedAt < this.reportIntervalMs) return 'refused';
    budget.reportedAt = now;
    return 'refused_reported';
  }

  forget(userId: string): void {
    this.budgets.delete(userId);
  }

  get size(): number {
    return this.budgets.size;
  }
}
