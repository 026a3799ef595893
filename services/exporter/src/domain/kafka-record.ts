/** A Kafka record as the exporter sends it (kafkajs's Message shape). */
export interface KafkaRecord {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  /** Milliseconds since the epoch, as text: the event's time. */
  timestamp?: string;
}

interface Envelope {
  id?: unknown;
  type?: unknown;
  version?: unknown;
  time?: unknown;
  stream_id?: unknown;
  data?: { user?: { id?: unknown } };
  metadata?: { traceparent?: unknown };
}

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/**
 * One event of the JetStream log as one Kafka record. The value is the envelope exactly as relayed.
 * The key is the conversation id (the stream id of messages and conversations events) or, for
 * account events, the user's id, so each conversation's or user's events share a partition and keep
 * their order. An envelope that is not JSON is still exported (nothing is dropped), unkeyed.
 */
export function toKafkaRecord(data: Uint8Array, streamSequence: number, natsTraceparent?: string): { record: KafkaRecord; time?: number } {
  let event: Envelope = {};
  try {
    event = (JSON.parse(Buffer.from(data).toString('utf8')) as Envelope) ?? {};
  } catch {
    // Exported as it is; consumers see no event-id header and can tell.
  }
  const headers: Record<string, string> = { 'stream-sequence': String(streamSequence), 'content-type': 'application/json' };
  const id = text(event.id);
  const type = text(event.type);
  if (id) headers['event-id'] = id;
  if (type) headers['event-type'] = type;
  if (typeof event.version === 'number') headers['schema-version'] = String(event.version);
  const traceparent = text(event.metadata?.traceparent) ?? natsTraceparent;
  if (traceparent) headers.traceparent = traceparent;
  const key = text(event.stream_id) ?? (type?.startsWith('user.') ? text(event.data?.user?.id) : undefined) ?? null;
  const time = typeof event.time === 'string' ? Date.parse(event.time) : NaN;
  const record: KafkaRecord = { key, value: Buffer.from(data), headers };
  if (Number.isFinite(time)) record.timestamp = String(time);
  return { record, time: Number.isFinite(time) ? time : undefined };
}
