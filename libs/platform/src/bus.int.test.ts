import { partitionOf } from '@pneumatic/contracts';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Bus } from './bus';
import { createLogger } from './logger';
import { createMetrics } from './metrics';

/** A reply bigger than the real NATS server's max_payload used to throw out of the bus and end the process. */
describe('oversized messages over real NATS', () => {
  const lines: { msg: string; kind?: string; reason?: string }[] = [];
  const logger = createLogger('bus-test', 'error', { write: (line: string) => void lines.push(JSON.parse(line)) });
  const metrics = createMetrics('bus-test');
  const pad = { subject: 'bus.pad', request: z.object({ bytes: z.number() }), reply: z.object({ text: z.string() }) };
  let server: Bus;
  let client: Bus;

  beforeAll(async () => {
    const options = { url: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222', prefix: `t_${randomUUID().slice(0, 8)}`, logger, metrics };
    server = await Bus.connect({ ...options, name: 'bus-server' });
    client = await Bus.connect({ ...options, name: 'bus-client' });
    server.serve(pad, async ({ bytes }) => ({ text: 'x'.repeat(bytes) }), { queue: 'test' });
    await server.flush();
  });

  afterAll(async () => {
    await Promise.all([server?.close(), client?.close()]);
  });

  it('answers a request whose reply exceeds max_payload with too_large, and the responder keeps serving', async () => {
    await expect(client.call(pad, { bytes: 2 * 1024 * 1024 })).rejects.toMatchObject({ code: 'too_large' });
    expect((await client.call(pad, { bytes: 100 })).text).toHaveLength(100);
    expect(server.connected).toBe(true);
    expect(lines.filter((l) => l.msg === 'bus write failed')).toEqual([
      expect.objectContaining({ kind: 'reply', reason: 'MAX_PAYLOAD_EXCEEDED' }),
    ]);
    expect((await metrics.busWriteFailures.get()).values).toEqual([
      expect.objectContaining({ labels: { kind: 'reply', reason: 'MAX_PAYLOAD_EXCEEDED' }, value: 1 }),
    ]);
  });

  it('drops an oversized publish without throwing, and the next one is delivered', async () => {
    const heard: number[] = [];
    client.subscribe('bus.events', z.object({ n: z.number(), text: z.string() }), ({ n }) => heard.push(n));
    await client.flush();
    server.publish('bus.events', { n: 1, text: 'y'.repeat(2 * 1024 * 1024) });
    server.publish('bus.events', { n: 2, text: '' });
    await server.flush();
    await client.flush();
    expect(heard).toEqual([2]);
  });
});

describe('partitioned requests over real NATS', () => {
  const logger = createLogger('bus-test', 'silent');
  const metrics = createMetrics('bus-partitions-test');
  const echo = {
    subject: 'bus.echo',
    request: z.object({ conversation_id: z.string() }),
    reply: z.object({ by: z.string() }),
    partitionKey: 'conversation_id' as const,
  };
  const conversation = randomUUID();
  const partition = partitionOf(conversation, 4);
  let server: Bus;
  let partitioning: Bus;
  let plain: Bus;

  beforeAll(async () => {
    const options = { url: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222', prefix: `t_${randomUUID().slice(0, 8)}`, logger, metrics };
    server = await Bus.connect({ ...options, name: 'bus-server' });
    partitioning = await Bus.connect({ ...options, name: 'bus-partitioning', partitions: 4 });
    plain = await Bus.connect({ ...options, name: 'bus-plain' });
    server.serve(echo, async () => ({ by: 'any replica' }), { queue: 'test' });
    await server.flush();
  });

  afterAll(async () => {
    await Promise.all([server?.close(), partitioning?.close(), plain?.close()]);
  });

  it('sends a request to its partition\'s subject, and to the contract\'s own when nobody serves the partition', async () => {
    expect(await partitioning.call(echo, { conversation_id: conversation })).toEqual({ by: 'any replica' });
    const owner = server.serve(echo, async () => ({ by: 'owner' }), { queue: 'test', partition });
    await server.flush();
    expect(await partitioning.call(echo, { conversation_id: conversation })).toEqual({ by: 'owner' });
    // A bus without `partitions` asks the contract's own subject.
    expect(await plain.call(echo, { conversation_id: conversation })).toEqual({ by: 'any replica' });
    await owner.drain();
    expect(await partitioning.call(echo, { conversation_id: conversation })).toEqual({ by: 'any replica' });
  });
});
