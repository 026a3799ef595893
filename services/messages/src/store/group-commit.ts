import { DomainError } from '@pneumatic/contracts';
import type { Logger } from '@pneumatic/platform';
import type { AppendResult, MessageStore, SendItem } from './message-store';

export interface GroupCommitOptions {
  /** Sends per transaction. */
  maxBatch: number;
  /** How long an idle queue waits for company before committing a lone send. */
  windowMs: number;
  /** Sends waiting at most; past it a send is refused as `overloaded`. */
  maxQueued: number;
}

interface Waiting {
  item: SendItem;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * Batches concurrent sends into one transaction, so the cost of a commit (one fsync) is shared.
 * One batch commits at a time; sends arriving meanwhile form the next batch, so batches grow with
 * load and a lone send waits at most `windowMs`.
 */
export class GroupCommit {
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private committing = false;

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
      if (this.committing) return;
      if (this.queue.length >= this.options.maxBatch) void this.drain();
      else this.timer ??= setTimeout(() => void this.drain(), this.options.windowMs);
    });
  }

  private async drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.queue.length > 0) await this.commit(this.queue.splice(0, this.options.maxBatch));
    } finally {
      this.committing = false;
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
