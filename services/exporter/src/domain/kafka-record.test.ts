import { readFileSync } from 'node:fs';
import path from 'node:path';
import { toKafkaRecord } from './kafka-record';

const fixture = (name: string) => readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'libs', 'contracts', 'fixtures', 'events', name));

describe('event to Kafka record', () => {
  it('keys a message event by its conversation and carries id, type, version and the stored trace context', () => {
    const event = JSON.parse(fixture('message.sent.v1.json').toString());
    event.metadata = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const data = Buffer.from(JSON.stringify(event));
    const { record, time } = toKafkaRecord(data, 42);
    expect(record.key).toBe(event.data.message.conversation_id);
    expect(record.headers).toEqual({
      'stream-sequence': '42',
      'content-type': 'application/json',
      'event-id': event.id,
      'event-type': 'message.sent',
      'schema-version': '1',
      traceparent: event.metadata.traceparent,
    });
    expect(record.value.equals(data)).toBe(true);
    expect(time).toBe(Date.parse(event.time));
    expect(record.timestamp).toBe(String(time));
  });

  it('keys a conversation event by the conversation', () => {
    const data = fixture('conversation.created.v1.json');
    expect(toKafkaRecord(data, 1).record.key).toBe(JSON.parse(data.toString()).data.conversationId);
  });

  it('keys an account event by the user and takes the trace context from the NATS header', () => {
    const data = fixture('user.registered.v1.json');
    const { record } = toKafkaRecord(data, 7, '00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01');
    expect(record.key).toBe(JSON.parse(data.toString()).data.user.id);
    expect(record.headers.traceparent).toBe('00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01');
  });

  it('still exports what is not a JSON envelope, unkeyed, with its stream sequence', () => {
    const { record, time } = toKafkaRecord(Buffer.from('not json'), 9);
    expect(record).toEqual({ key: null, value: Buffer.from('not json'), headers: { 'stream-sequence': '9', 'content-type': 'application/json' } });
    expect(time).toBeUndefined();
  });
});
