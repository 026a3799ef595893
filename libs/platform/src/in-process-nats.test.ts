import { DomainError } from '@pneumatic/contracts';
import { headers as natsHeaders, type Msg } from 'nats';
import { z } from 'zod';
import { Bus } from './bus';
import { InMemoryEventStream } from './in-process-event-stream';
import { InProcessNats, subjectMatches } from './in-process-nats';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { ReplyInbox } from './reply-inbox';

const logger = createLogger('test', 'silent');
const metrics = createMetrics('test');
const settle = () => new Promise((resolve) => setImmediate(resolve));
const all = async <T>(messages: AsyncIterable<T> | Iterable<T>) => {
  const out: T[] = [];
  for await (const m of messages) out.push(m);
  return out;
};

describe('subject matching', () => {
  it.each([
    ['a.b.c', 'a.b.c', true],
    ['a.*.c', 'a.x.c', true],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['a.b', 'a.b.c', false],
  ])('%s against %s is %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern.split('.'), subject.split('.'))).toBe(expected);
  });
});

describe('in-process NATS', () => {
  it('gives each message to one member of a queue group and to every plain subscriber', async () => {
    const broker = new InProcessNats();
    const heard: string[] = [];
    for (const name of ['q1', 'q2']) broker.connect().subscribe('chat.x', { queue: 'workers', callback: () => heard.push(name) });
    broker.connect().subscribe('chat.*', { callback: () => heard.push('plain') });
    const publisher = broker.connect();
    for (let i = 0; i < 10; i++) publisher.publish('chat.x', new Uint8Array());
    await settle();
    expect(heard.filter((h) => h === 'plain')).toHaveLength(10);
    expect(heard.filter((h) => h !== 'plain')).toHaveLength(10);
  });

  it('stops delivering to a drained connection only', async () => {
    const broker = new InProcessNats();
    const heard: string[] = [];
    const leaving = broker.connect();
    leaving.subscribe('x', { callback: () => heard.push('leaving') });
    broker.connect().subscribe('x', { callback: () => heard.push('staying') });
    await leaving.drain();
    broker.connect().publish('x', new Uint8Array());
    await settle();
    expect(heard).toEqual(['staying']);
    expect(leaving.isClosed()).toBe(true);
  });

  it('answers a request nobody serves at once (503), times out one nobody answers, and matches each reply to its request', async () => {
    const broker = new InProcessNats();
    const inbox = new ReplyInbox(broker.connect());
    await expect(inbox.request('nobody', new Uint8Array(), { timeoutMs: 1000 })).rejects.toMatchObject({ reason: 'no_responders' });
    broker.connect().subscribe('silent', { callback: () => undefined });
    await expect(inbox.request('silent', new Uint8Array(), { timeoutMs: 50 })).rejects.toMatchObject({ reason: 'timeout' });
    // Answered out of order, each request still gets its own reply.
    const held: Msg[] = [];
    broker.connect().subscribe('slow', { callback: (_err, msg) => held.push(msg) });
    const first = inbox.request('slow', new TextEncoder().encode('1'), { timeoutMs: 1000 });
    const second = inbox.request('slow', new TextEncoder().encode('2'), { timeoutMs: 1000 });
    await settle();
    for (const msg of held.reverse()) msg.respond(new TextEncoder().encode(`re ${msg.string()}`));
    expect([(await first).string(), (await second).string()]).toEqual(['re 1', 're 2']);
    expect(inbox.pending).toBe(0);
  });

  it('carries the Bus API unchanged: typed calls, failures as DomainErrors, unavailable without a server', async () => {
    const broker = new InProcessNats();
    const options = { prefix: 'p', logger, metrics };
    const server = Bus.over(broker.connect(), { ...options, name: 'server' });
    const client = Bus.over(broker.connect(), { ...options, name: 'client' });
    const echo = { subject: 'test.echo', request: z.object({ text: z.string() }), reply: z.object({ text: z.string() }) };
    server.serve(echo, async ({ text }) => {
      if (text === 'bad') throw new DomainError('conflict', 'no');
      return { text: text.toUpperCase() };
    }, { queue: 'test' });
    expect(await client.call(echo, { text: 'hi' })).toEqual({ text: 'HI' });
    await expect(client.call(echo, { text: 'bad' })).rejects.toMatchObject({ code: 'conflict' });
    const events: unknown[] = [];
    client.subscribe('chat.>', z.object({ n: z.number() }), (payload, subject) => events.push([subject, payload]));
    server.publish('chat.room.1', { n: 1 });
    server.publish('chat.room.1', { n: 'not a number' });
    await client.flush();
    expect(events).toEqual([['chat.room.1', { n: 1 }]]);
    await server.close();
    await expect(client.call(echo, { text: 'hi' })).rejects.toMatchObject({ code: 'unavailable' });
    expect(client.connected).toBe(true);
  });
});

describe('in-process NATS max payload', () => {
  const size = (n: number) => new Uint8Array(n);

  it('refuses, as the NATS server does, a message over 1 MiB counting its headers, and delivers one at the limit', async () => {
    const broker = new InProcessNats();
    expect(broker.maxPayload).toBe(1024 * 1024);
    const heard: number[] = [];
    broker.connect().subscribe('x', { callback: (_err, msg) => heard.push(msg.data.length) });
    const publisher = broker.connect();
    publisher.publish('x', size(broker.maxPayload));
    expect(() => publisher.publish('x', size(broker.maxPayload + 1))).toThrow(expect.objectContaining({ code: 'MAX_PAYLOAD_EXCEEDED' }));
    const headers = natsHeaders();
    headers.set('k', 'v');
    expect(() => publisher.publish('x', size(broker.maxPayload), { headers })).toThrow(expect.objectContaining({ code: 'MAX_PAYLOAD_EXCEEDED' }));
    await settle();
    expect(heard).toEqual([broker.maxPayload]);
  });

  it('refuses a reply over the limit too', async () => {
    const broker = new InProcessNats(100);
    const replies: (boolean | Error)[] = [];
    broker.connect().subscribe('ask', {
      callback: (_err, msg) => {
        try {
          replies.push(msg.respond(size(101)));
        } catch (err) {
          replies.push(err as Error);
        }
      },
    });
    broker.connect().publish('ask', size(1), { reply: 'inbox' });
    await settle();
    expect(replies).toEqual([expect.objectContaining({ code: 'MAX_PAYLOAD_EXCEEDED' })]);
  });

  it('lets no oversized reply, request or publish crash the Bus: the caller gets too_large, the failure is logged once and counted', async () => {
    const broker = new InProcessNats(4096);
    const lines: { msg: string; kind?: string; reason?: string }[] = [];
    const recording = createLogger('test', 'error', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const counted = createMetrics('test');
    const options = { prefix: 'p', logger: recording, metrics: counted };
    const server = Bus.over(broker.connect(), { ...options, name: 'server' });
    const client = Bus.over(broker.connect(), { ...options, name: 'client' });
    const pad = { subject: 'test.pad', request: z.object({ bytes: z.number(), text: z.string().default('') }), reply: z.object({ text: z.string() }) };
    server.serve(pad, async ({ bytes }) => ({ text: 'x'.repeat(bytes) }), { queue: 'test' });

    await expect(client.call(pad, { bytes: 5000 })).rejects.toMatchObject({ code: 'too_large' });
    expect((await client.call(pad, { bytes: 10 })).text).toHaveLength(10);
    await expect(client.call(pad, { bytes: 1, text: 'y'.repeat(5000) })).rejects.toMatchObject({ code: 'too_large' });
    server.publish('chat.big', { text: 'z'.repeat(5000) });
    await server.flush();

    expect(lines.map((l) => [l.msg, l.kind, l.reason])).toEqual([
      ['bus write failed', 'reply', 'MAX_PAYLOAD_EXCEEDED'],
      ['bus write failed', 'request', 'MAX_PAYLOAD_EXCEEDED'],
      ['bus write failed', 'publish', 'MAX_PAYLOAD_EXCEEDED'],
    ]);
    const failures = (await counted.busWriteFailures.get()).values;
    expect(failures.map((v) => [v.labels.kind, v.value]).sort()).toEqual([['publish', 1], ['reply', 1], ['request', 1]]);
  });
});

describe('in-memory events stream', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('drops a republished event id and reads a filtered subject in order from a sequence', async () => {
    const stream = new InMemoryEventStream({ logger });
    expect(await stream.publish('events.messages.sent', bytes('1'), 'a')).toEqual({ seq: 1, duplicate: false });
    await stream.publish('events.user.registered', bytes('2'), 'b');
    await stream.publish('events.messages.read', bytes('3'), 'c');
    expect(await stream.publish('events.messages.sent', bytes('1'), 'a')).toEqual({ seq: 1, duplicate: true });
    const consumer = await stream.consumerFrom('events.messages.>', 1);
    const first = await all(await consumer.fetch({ max_messages: 1, expires: 10 }));
    const rest = await all(await consumer.fetch({ max_messages: 10, expires: 10 }));
    expect([...first, ...rest].map((m) => m.seq)).toEqual([1, 3]);
    expect(rest.at(-1)!.info.pending).toBe(0);
  });

  it('wakes a waiting fetch when an event arrives', async () => {
    const stream = new InMemoryEventStream({ logger });
    const consumer = await stream.consumerFrom('events.>', 1);
    const fetching = consumer.fetch({ max_messages: 10, expires: 10_000 });
    await stream.publish('events.x.y', bytes('1'), 'a');
    expect((await all(await fetching)).map((m) => m.seq)).toEqual([1]);
  });
});
