import { DomainError } from '@pneumatic/contracts';

/**
 * Runs at most `concurrency` jobs at once with at most `maxWaiting` waiting behind them; past
 * that a job is refused at once (`overloaded`, retryable) instead of queued for seconds, so a
 * flood of logins costs the others a bounded wait, never a pile-up.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new DomainError('overloaded', 'the server is busy; retry shortly');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      // The slot passes straight to the next waiter, so `running` never undercounts.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get busy(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
