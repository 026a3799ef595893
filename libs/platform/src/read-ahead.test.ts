import { InMemoryEventStream } from './in-process-event-stream';
import type { EventLogMessage } from './jetstream';
import { createLogger } from './logger';
import { ReadAhead } from './read-ahead';

const logger = createLogger('read-ahead-test', 'silent');
const bytes = (s: string) => new TextEncoder().encode(s);

async function publish(stream: InMemoryEventStream, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) await stream.publish('events.messages.sent', bytes(String(i)), `e${i}`);
}

describe('ReadAhead', () => {
  let reader: ReadAhead<EventLogMessage> | undefined;
  afterEach(() => reader?.close());

  it('hands a handler that was busy everything that arrived meanwhile, in one batch and in order', async () => {
    const stream = new InMemoryEventStream({ logger });
    reader = new ReadAhead(await stream.consumerFrom('events.>', 1), { maxBatch: 100, idleMs: 1000 });
    await publish(stream, 1, 1);
    expect((await reader.nextBatch()).map((m) => m.seq)).toEqual([1]);
    // The handler is busy (say, waiting for Kafka) while 50 more events are stored.
    await publish(stream, 2, 50);
    await new Promise((resolve) => setImmediate(resolve));
    const batch = await reader.nextBatch();
    expect(batch.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    expect(reader.buffered()).toBe(false);
  });

  it('never hands out more than maxBatch at once and loses nothing of a long backlog', async () => {
    const stream = new InMemoryEventStream({ logger });
    await publish(stream, 1, 1000);
    reader = new ReadAhead(await stream.consumerFrom('events.>', 1), { maxBatch: 100, idleMs: 1000 });
    const seen: number[] = [];
    while (seen.length < 1000) {
      const batch = await reader.nextBatch();
      expect(batch.length).toBeGreaterThan(0);
      expect(batch.length).toBeLessThanOrEqual(100);
      seen.push(...batch.map((m) => m.seq));
    }
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it('answers an empty batch after idleMs when nothing arrives', async () => {
    const stream = new InMemoryEventStream({ logger });
    reader = new ReadAhead(await stream.consumerFrom('events.>', 1), { maxBatch: 10, idleMs: 50 });
    const started = Date.now();
    expect(await reader.nextBatch()).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('throws what the reader threw, once the events read before it are handed out', async () => {
    let fetches = 0;
    const consumer = {
      fetch: async () => {
        if (fetches++ > 0) throw new Error('stream gone');
        return [{ seq: 1, subject: 'events.x.y', data: bytes('1'), info: { pending: 0 } }];
      },
    };
    reader = new ReadAhead(consumer, { maxBatch: 10, idleMs: 1000 });
    expect((await reader.nextBatch()).map((m) => m.seq)).toEqual([1]);
    await expect(reader.nextBatch()).rejects.toThrow('stream gone');
  });
});
