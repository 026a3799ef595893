import type { EventLogConsumer, EventLogMessage } from './jetstream';

export interface ReadAheadOptions {
  /** The most events one batch holds; the buffer holds at most twice this many. */
  maxBatch: number;
  /** How long `nextBatch` waits for a first event before answering with an empty batch. */
  idleMs: number;
}

/**
 * Reads an ordered consumer ahead of whoever handles its events: while one batch is being exported
 * or applied, the next events are fetched into a bounded buffer, and the next batch is everything
 * that arrived meanwhile. Batches then grow with the handler's round trip instead of staying at one
 * event each: a fetched message's `info.pending` counts only what the server still holds, not what
 * already waits in the client, so batching by it alone sent one event per round trip once the
 * handler fell behind, and the lag grew with every event (the Kafka export, issue #20).
 */
export class ReadAhead<M extends EventLogMessage> {
  private readonly buffer: M[] = [];
  private failure?: unknown;
  private closed = false;
  private arrived?: () => void;
  private drained?: () => void;
  private readonly pumping: Promise<void>;

  constructor(
    private readonly consumer: EventLogConsumer,
    private readonly options: ReadAheadOptions,
  ) {
    this.pumping = this.pump().catch((err: unknown) => {
      this.failure = err;
      this.arrived?.();
    });
  }

  /** Up to `maxBatch` events in stream order; empty after `idleMs` without any. Throws what the reader threw. */
  async nextBatch(): Promise<M[]> {
    if (this.buffer.length === 0 && this.failure === undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.idleMs);
        this.arrived = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.arrived = undefined;
    }
    if (this.buffer.length === 0 && this.failure !== undefined) throw this.failure;
    const batch = this.buffer.splice(0, this.options.maxBatch);
    this.drained?.();
    return batch;
  }

  /** Whether events already wait for the next batch. */
  readonly buffered = (): boolean => this.buffer.length > 0;

  /** Stops reading; resolves once the fetch in flight has ended (within its expiry). */
  async close(): Promise<void> {
    this.closed = true;
    this.drained?.();
    await this.pumping;
  }

  private async pump(): Promise<void> {
    const { maxBatch } = this.options;
    while (!this.closed) {
      const messages = await this.consumer.fetch({ max_messages: maxBatch, expires: 1000 });
      for await (const msg of messages) {
        if (this.closed) return;
        this.buffer.push(msg as M);
        this.arrived?.();
        // Bounded: a handler that cannot keep up holds the reader back instead of filling memory.
        while (this.buffer.length >= 2 * maxBatch && !this.closed) await new Promise<void>((resolve) => (this.drained = resolve));
        this.drained = undefined;
      }
    }
  }
}
