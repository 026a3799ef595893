import type { Consumer, JsMsg } from 'nats';
import { gapCheckedReader } from './gap-checked-reader';

const stream = Array.from({ length: 10 }, (_, i) => i + 1);

/**
 * Consumers over a stream of sequences 1..10, read the way nats.js's ordered consumer reads; the
 * first one counts delivery `lost` as made but never hands it out.
 */
function consumers(lost: number) {
  const opened: number[] = [];
  const open = async (from: number) => {
    const lossy = opened.length === 0;
    opened.push(from);
    let next = from;
    let delivered = 0;
    return {
      async fetch({ max_messages }: { max_messages: number }) {
        const batch: JsMsg[] = [];
        while (next <= stream.length && batch.length < max_messages) {
          const seq = next++;
          delivered++;
          if (lossy && delivered === lost) continue;
          batch.push({ seq, info: { deliverySequence: delivered, pending: stream.length - seq } } as unknown as JsMsg);
        }
        return batch;
      },
    } as unknown as Consumer;
  };
  return { open, opened };
}

async function readAll(reader: Awaited<ReturnType<typeof gapCheckedReader>>): Promise<number[]> {
  const seen: number[] = [];
  for (let round = 0; round < 20 && seen.at(-1) !== stream.length; round++) {
    for await (const msg of await reader.fetch({ max_messages: 3, expires: 1000 })) seen.push(msg.seq);
  }
  return seen;
}

describe('gap-checked ordered reader', () => {
  it('hands out every message once, in order, when a delivery is lost, by reading again after the last one handed out', async () => {
    const { open, opened } = consumers(4);
    expect(await readAll(await gapCheckedReader(open, 1))).toEqual(stream);
    expect(opened).toEqual([1, 4]);
  });

  it('opens one consumer when nothing is lost', async () => {
    const { open, opened } = consumers(Infinity);
    expect(await readAll(await gapCheckedReader(open, 3))).toEqual(stream.slice(2));
    expect(opened).toEqual([3]);
  });
});
