import { DomainError } from '@pneumatic/contracts';
import type { Logger } from '@pneumatic/platform';
import type { AppendResult, MessageStore, SendItem } from './message-store';

export interface GroupCommitOptions {
  /** Sends per transaction. */
  maxBatch: number;
  /**
   * How long an idle queue waits for company before committing a lone send; 0 commits at the end of
   * the event-loop turn, with the sends that arrived in the same read from NATS.
   */
  windowMs: number;
  /** Sends waiting at most; past it a send is refused as `overloaded`. */
  maxQueued: number;
  /** Batches committing at once: while one waits for its commit, the next is already being written. */
  maxInFlight: number;
}

interface Waiting {
  item: SendItem;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * Batches concurrent sends into one transaction, so the cost of a commit (one fsync) is shared.
 * At most `maxInFlight` batches commit at a time; sends arriving meanwhile form the next batch, so
 * batches grow with load and a lone send waits at most `windowMs`. Concurrent batches stay correct
 * because each locks its conversations' streams before reading their last seq.
 */
export class GroupCommit {
  private queue: Waiting[] = [];
  /** Cancels the commit scheduled for a lone send's company, if one is. */
  private cancelScheduled: (() => void) | undefined;
  private inFlight = 0;

  constructor(
    private readonly store: MessageStore,
    private readonly options: GroupCommitOptions,
    private readonly logger: Logger,
  ) {}

  append(item: SendItem): Promise<AppendResult> {
    if (this.queue.length >= this.options.maxQueued) {
      return Promise.reject(new DomainError('overloaded', 'too many messages waiting to be stored, retry the same message_id later'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // A batch that finishes takes what queued meanwhile, with no window.
      if (this.inFlight >= this.options.maxInFlight) return;
      if (this.queue.length >= this.options.maxBatch) this.dispatch();
      else this.cancelScheduled ??= this.scheduleDispatch();
    });
  }

  private scheduleDispatch(): () => void {
    if (this.options.windowMs > 0) {
      const timer = setTimeout(() => this.dispatch(), this.options.windowMs);
      return () => clearTimeout(timer);
    }
    const immediate = setImmediate(() => this.dispatch());
    return () => clearImmediate(immediate);
  }

  private dispatch(): void {
    this.cancelScheduled?.();
    this.cancelScheduled = undefined;
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      this.inFlight++;
      void this.commit(this.queue.splice(0, this.options.maxBatch)).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.dispatch();
      });
    }
  }

  private async commit(batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await this.store.appendBatch(batch.map((w) => w.item));
      outcomes.forEach((outcome, i) => (outcome.ok ? batch[i]!.resolve(outcome.value) : batch[i]!.reject(outcome.error)));
    } catch (err) {
      // One send can sink a whole batch (a client id racing into another process's batch, say);
      // alone, each gets its own answer.
      this.logger.warn({ err, size: batch.length }, 'batch failed, storing its messages one by one');
      await Promise.all(batch.map((w) => this.store.appendMessage(w.item).then(w.resolve, w.reject)));
    }
  }
}
