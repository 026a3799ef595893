import { connectDatabase, migrate, type Database, type EventStream } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { KafkaRecord } from '../domain/kafka-record';
import { exporterSchema } from '../service';
import { SourceExport } from './source-export';

const events = Array.from({ length: 10 }, (_, i) => ({ id: randomUUID(), type: 'user.registered', version: 1, time: new Date().toISOString(), seq: i + 1 }));

/**
 * A log read the way nats.js's ordered consumer reads JetStream, including how it loses a message:
 * the first consumer counts delivery `lostDelivery` as made (a message that arrived after its fetch
 * expired) but never yields it; the consumers made after it deliver everything.
 */
function logLosingOneDelivery(lostDelivery: number): EventStream {
  let consumers = 0;
  return {
    async consumerFrom(_subject: string, from: number) {
      const lossy = consumers++ === 0;
      let next = from;
      let delivered = 0;
      return {
        async fetch({ max_messages }: { max_messages: number }) {
          const batch = [];
          while (next <= events.length && batch.length < max_messages) {
            const event = events[next - 1]!;
            next++;
            delivered++;
            if (lossy && delivered === lostDelivery) continue;
            batch.push({ seq: event.seq, data: Buffer.from(JSON.stringify(event)), headers: undefined, info: { pending: events.length - event.seq, deliverySequence: delivered } });
          }
          if (batch.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
          return batch;
        },
      };
    },
  } as unknown as EventStream;
}

describe('a source export reading a consumer that lost a delivery', () => {
  let ctx: TestContext;
  let db: Database;

  beforeAll(async () => {
    ctx = await createTestContext('kafka_source_export');
    db = connectDatabase({ url: ctx.databaseUrl, schema: exporterSchema, logger: ctx.logger });
    await migrate(db, exporterSchema, path.resolve(__dirname, '..', '..', 'migrations'));
  });

  afterAll(async () => {
    await db?.end();
    await ctx?.cleanup();
  });

  it('reads again from the checkpoint instead of exporting past the gap', async () => {
    const sent: KafkaRecord[] = [];
    const exporter = new SourceExport({ db, stream: logLosingOneDelivery(4), sink: { send: async (records) => void sent.push(...records) }, source: 'user', logger: ctx.logger, batchSize: 3, lingerMs: 0 });
    exporter.start();
    try {
      await waitFor('the checkpoint at the last event', async () => (await db.query<{ s: string }>('SELECT stream_sequence::text AS s FROM kafka_export_checkpoints')).rows[0]?.s === '10', 10_000, 20);
    } finally {
      await exporter.stop();
    }
    expect(sent.map((r) => r.headers['event-id'])).toEqual(events.map((e) => e.id));
  });
});
