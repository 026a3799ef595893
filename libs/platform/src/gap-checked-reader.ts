import type { Consumer, JsMsg } from 'nats';

/** What projections, the exporter and tests read the events stream through. */
export interface OrderedReader {
  fetch(options: { max_messages: number; expires: number }): Promise<AsyncIterable<JsMsg>>;
}

type Batch = AsyncIterable<JsMsg> & { stop?: () => void };

/**
 * An ordered consumer whose deliveries are checked, as NATS's ADR-17 asks of ordered consumers and
 * nats.js 2.x does not do on fetch: the consumer numbers its deliveries 1, 2, 3, ..., and one that
 * arrives after its fetch expired (a busy event loop) is counted but never handed out. Reading on
 * would skip an event for good. At a gap in that numbering the reader drops the rest of the batch
 * and opens a new consumer just after the last message it handed out.
 */
export async function gapCheckedReader(open: (fromSequence: number) => Promise<Consumer>, fromSequence: number): Promise<OrderedReader> {
  let consumer = await open(fromSequence);
  let next = fromSequence;
  let delivered = 0;
  return {
    async fetch(options) {
      const batch = (await consumer.fetch(options)) as Batch;
      return (async function* () {
        for await (const msg of batch) {
          if (msg.info.deliverySequence !== delivered + 1) {
            batch.stop?.();
            consumer = await open(next);
            delivered = 0;
            return;
          }
          delivered++;
          next = msg.seq + 1;
          yield msg;
        }
      })();
    },
  };
}
