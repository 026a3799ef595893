import { subjectMatches } from './in-process-nats';
import type { EventLog, EventLogConsumer, EventLogMessage } from './jetstream';
import type { Logger } from './logger';

interface Entry {
  seq: number;
  subject: string;
  data: Uint8Array;
  eventId: string;
}

export interface InMemoryEventStreamOptions {
  logger: Logger;
  /** Messages kept; past it the oldest are dropped (with a warning), like a JetStream max_msgs limit. */
  maxMessages?: number;
}

/**
 * The embedded mode's events stream: an in-memory log with JetStream's surface as the relays and
 * projections use it (publish deduplicated by event id, ordered reads from a sequence). It starts
 * empty with each process, so the embedded launcher has every relay republish from its event store
 * and every asynchronous projection rebuild from sequence 1 at start.
 */
export class InMemoryEventStream implements EventLog {
  private readonly entries: Entry[] = [];
  private readonly ids = new Map<string, number>();
  private lastSeq = 0;
  private waiters = new Set<() => void>();
  private warned = false;

  constructor(private readonly options: InMemoryEventStreamOptions) {}

  async publish(subject: string, data: Uint8Array, eventId: string): Promise<{ seq: number; duplicate: boolean }> {
    const known = this.ids.get(eventId);
    if (known !== undefined) return { seq: known, duplicate: true };
    const seq = ++this.lastSeq;
    this.entries.push({ seq, subject, data, eventId });
    this.ids.set(eventId, seq);
    this.trim();
    const waiters = this.waiters;
    this.waiters = new Set();
    waiters.forEach((wake) => wake());
    return { seq, duplicate: false };
  }

  async consumerFrom(subject: string, fromSequence: number): Promise<EventLogConsumer> {
    const filter = subject.split('.');
    let next = Math.max(1, fromSequence);
    return {
      fetch: async ({ max_messages, expires }) => {
        let batch = this.read(filter, next, max_messages);
        if (batch.length === 0) {
          await this.waitForMore(expires);
          batch = this.read(filter, next, max_messages);
        }
        if (batch.length > 0) next = batch[batch.length - 1]!.seq + 1;
        return batch;
      },
    };
  }

  get messageCount(): number {
    return this.entries.length;
  }

  async close(): Promise<void> {
    this.waiters.forEach((wake) => wake());
    this.waiters.clear();
  }

  /**
   * Up to `max` messages matching `filter` from sequence `from` on. `pending` counts every later
   * message, matching or not: an upper bound, exact where it matters (0 only at the end).
   */
  private read(filter: string[], from: number, max: number): EventLogMessage[] {
    const first = this.entries[0]?.seq ?? this.lastSeq + 1;
    const batch: EventLogMessage[] = [];
    for (let i = Math.max(0, from - first); i < this.entries.length && batch.length < max; i++) {
      const e = this.entries[i]!;
      if (subjectMatches(filter, e.subject.split('.'))) {
        batch.push({ seq: e.seq, subject: e.subject, data: e.data, info: { pending: this.lastSeq - e.seq } });
      }
    }
    return batch;
  }

  private waitForMore(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }

  private trim(): void {
    const { maxMessages = 1_000_000, logger } = this.options;
    if (this.entries.length <= maxMessages) return;
    const dropped = this.entries.splice(0, this.entries.length - maxMessages);
    dropped.forEach((e) => this.ids.delete(e.eventId));
    if (!this.warned) logger.warn({ maxMessages }, 'in-memory events stream is full; dropping its oldest messages');
    this.warned = true;
  }
}
