import { describeZodError } from './errors';
import { ClientMessageId, Content, CreateConversationBody, EditMessageBody, Emoji, LoginBody, PostConversationMessageBody, ReactionBody, SignupBody, UsersQuery } from './http';

describe('text fields that reach Postgres', () => {
  it('refuse the NUL character, which a Postgres text or jsonb value cannot hold', () => {
    expect(Content.safeParse('hi\u0000there').success).toBe(false);
    expect(ClientMessageId.safeParse('\u0000').success).toBe(false);
    expect(Emoji.safeParse('👍\u0000').success).toBe(false);
    expect(CreateConversationBody.safeParse({ title: '\u0000', member_ids: [] }).success).toBe(false);
    expect(LoginBody.safeParse({ username: 'a\u0000', password: 'x' }).success).toBe(false);
    expect(SignupBody.safeParse({ username: 'alice', password: 'long-enough-1', full_name: 'A\u0000' }).success).toBe(false);
  });

  it('refuse a lone surrogate in every text field, naming the field', () => {
    const lone = ['\ud800', 'a\udfff', '\udc00\ud83d', '🙂'.slice(0, 1)];
    const refusals = (schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown) => {
      const result = schema.safeParse(value);
      return result.success ? 'accepted' : describeZodError(result.error as never);
    };
    for (const s of lone) {
      expect(refusals(PostConversationMessageBody, { content: `hi ${s}` })).toMatch(/^content: .*lone surrogate/);
      expect(refusals(PostConversationMessageBody, { content: 'hi', message_id: s })).toMatch(/^message_id: .*lone surrogate/);
      expect(refusals(EditMessageBody, { content: s })).toMatch(/^content: .*lone surrogate/);
      expect(refusals(ReactionBody, { emoji: s })).toMatch(/^emoji: .*lone surrogate/);
      expect(refusals(CreateConversationBody, { title: `team ${s}`, member_ids: [] })).toMatch(/^title: .*lone surrogate/);
      expect(refusals(SignupBody, { username: 'alice', password: 'long-enough-1', full_name: `Al ${s}` })).toMatch(/^full_name: .*lone surrogate/);
      expect(refusals(SignupBody, { username: `al${s}ce`, password: 'long-enough-1' })).toMatch(/^username: /);
      expect(refusals(LoginBody, { username: `al${s}`, password: 'x' })).toMatch(/^username: .*lone surrogate/);
      expect(refusals(UsersQuery, { q: s })).toMatch(/^q: .*lone surrogate/);
    }
  });

  it('accept surrogate pairs, i.e. every character outside the Basic Multilingual Plane', () => {
    expect(Content.parse('🙂 𝄞 👍🏽')).toBe('🙂 𝄞 👍🏽');
    expect(Emoji.parse('👨‍👩‍👧')).toBe('👨‍👩‍👧');
  });

  it('accept any other text, emoji and control characters included', () => {
    expect(Content.parse('hi\u0001 🙂 <script>')).toBe('hi\u0001 🙂 <script>');
    expect(CreateConversationBody.parse({ title: '  team  ', member_ids: [] }).title).toBe('team');
  });
});
