import { parseClientFrame, parseScopedFrame } from './frame-parser';

const parse = (text: string) => parseClientFrame(text, Buffer.byteLength(text));
const conversation = '6f1c0c9e-3a54-4f7e-9d55-6d1f5b3b8a10';

describe('client frame parser', () => {
  it('accepts the seed frames', () => {
    expect(parse(JSON.stringify({ type: 'join', conversation_id: conversation }))).toMatchObject({ ok: true });
    expect(
      parse(JSON.stringify({ type: 'message', message_id: 'fixed-id-123', conversation_id: conversation, content: 'Hello' })),
    ).toMatchObject({ ok: true, frame: { type: 'message', content: 'Hello' } });
  });

  it.each([
    ['{not json', 'invalid_json'],
    ['[1,2]', 'invalid_frame'],
    ['"join"', 'invalid_frame'],
    ['{"conversation_id":"x"}', 'invalid_frame'],
    ['{"type":"dance"}', 'unknown_type'],
    ['{"type":"join","conversation_id":"not-a-uuid"}', 'invalid_frame'],
    [`{"type":"message","message_id":"m","conversation_id":"${conversation}","content":""}`, 'invalid_frame'],
    ['{"type":"join","conversation_id":42}', 'invalid_frame'],
    // A lone surrogate, as JSON escapes it: no Unicode character, refused by the schema, not stored.
    [`{"type":"message","message_id":"m","conversation_id":"${conversation}","content":"hi \\ud800"}`, 'invalid_frame'],
    [`{"type":"message","message_id":"\\udfff","conversation_id":"${conversation}","content":"hi"}`, 'invalid_frame'],
    ['{"type":"edit","message_id":"m","content":"\\ud800"}', 'invalid_frame'],
    ['{"type":"reaction","message_id":"m","emoji":"\\ud83d","action":"add"}', 'invalid_frame'],
  ])('answers %s with %s', (text, code) => {
    expect(parse(text)).toMatchObject({ ok: false, code });
  });

  it('names the failing field', () => {
    expect(parse('{"type":"join","conversation_id":"nope","ref":7}')).toMatchObject({
      reason: expect.stringContaining('conversation_id'),
      ref: 7,
    });
  });

  it('refuses frames over 16 KiB before parsing them', () => {
    const big = JSON.stringify({ type: 'ping', pad: 'x'.repeat(17 * 1024) });
    expect(parse(big)).toMatchObject({ ok: false, code: 'too_large' });
  });
});

describe('scoped frame parser', () => {
  const parseScoped = (text: string) => parseScopedFrame(text, Buffer.byteLength(text));

  it('takes content with an optional message_id', () => {
    expect(parseScoped('{"content":"hi"}')).toEqual({ ok: true, frame: { content: 'hi' } });
    expect(parseScoped('{"content":"hi","message_id":"m1"}')).toMatchObject({ ok: true, frame: { message_id: 'm1' } });
  });

  it('takes an auth frame renewing the token', () => {
    expect(parseScoped('{"type":"auth","token":"t.k.n","ref":1}')).toEqual({ ok: true, frame: { type: 'auth', token: 't.k.n', ref: 1 } });
  });

  it.each([
    ['{oops', 'invalid_json'],
    ['{"content":""}', 'invalid_frame'],
    ['{"content":7}', 'invalid_frame'],
    ['{"type":"auth"}', 'invalid_frame'],
    ['{"content":"\\ud800"}', 'invalid_frame'],
  ])('answers %s with %s', (text, code) => {
    expect(parseScoped(text)).toMatchObject({ ok: false, code });
  });
});
