import { AuthFrame, ClientFrame, ScopedMessageFrame, clientFrameTypes, describeZodError, limits, type ErrorCode } from '@pneumatic/contracts';

import type { z } from 'zod';

export type ScopedFrame = z.infer<typeof ScopedMessageFrame> | z.infer<typeof AuthFrame>;
export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; reason: string; ref?: unknown };

const knownTypes = new Set<string>(clientFrameTypes);

type Failure = Extract<ParsedFrame, { ok: false }>;

/** The checks every socket shares: size first (before parsing), then JSON, then "an object". */
function parseObject(data: string, byteLength: number): { ok: true; value: object } | Failure {
  if (byteLength > limits.wsFrameMaxBytes) {
    return { ok: false, code: 'too_large', reason: `frame exceeds ${limits.wsFrameMaxBytes} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, code: 'invalid_json', reason: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'invalid_frame', reason: 'frame must be a JSON object' };
  }
  return { ok: true, value };
}

/** Turns raw socket data into a valid client frame, or the documented error for it. */
export function parseClientFrame(data: string, byteLength: number): ParsedFrame {
  const object = parseObject(data, byteLength);
  if (!object.ok) return object;
  const { value } = object;
  const { type, ref } = value as { type?: unknown; ref?: unknown };
  const echo = typeof ref === 'string' || typeof ref === 'number' ? ref : undefined;
  if (typeof type !== 'string') return { ok: false, code: 'invalid_frame', reason: 'type: required string', ref: echo };
  if (!knownTypes.has(type)) return { ok: false, code: 'unknown_type', reason: `unknown frame type "${type.slice(0, 64)}"`, ref: echo };
  const parsed = ClientFrame.safeParse(value);
  if (!parsed.success) return { ok: false, code: 'invalid_frame', reason: describeZodError(parsed.error), ref: echo };
  return { ok: true, frame: parsed.data };
}

/** A frame on a conversation-scoped socket (seed 003): `{content, message_id?}`, or an `auth` renewal. */
export function parseScopedFrame(data: string, byteLength: number): { ok: true; frame: ScopedFrame } | Failure {
  const object = parseObject(data, byteLength);
  if (!object.ok) return object;
  const schema = (object.value as { type?: unknown }).type === 'auth' ? AuthFrame : ScopedMessageFrame;
  const parsed = schema.safeParse(object.value);
  if (!parsed.success) return { ok: false, code: 'invalid_frame', reason: describeZodError(parsed.error) };
  return { ok: true, frame: parsed.data };
}
