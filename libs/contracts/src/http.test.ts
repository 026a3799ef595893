import { ClientMessageId, Content, CreateConversationBody, Emoji, LoginBody, SignupBody } from './http';

describe('text fields that reach Postgres', () => {
  it('refuse the NUL character, which a Postgres text or jsonb value cannot hold', () => {
    expect(Content.safeParse('hi\u0000there').success).toBe(false);
    expect(ClientMessageId.safeParse('\u0000').success).toBe(false);
    expect(Emoji.safeParse('👍\u0000').success).toBe(false);
    expect(CreateConversationBody.safeParse({ title: '\u0000', member_ids: [] }).success).toBe(false);
    expect(LoginBody.safeParse({ username: 'a\u0000', password: 'x' }).success).toBe(false);
    expect(SignupBody.safeParse({ username: 'alice', password: 'long-enough-1', full_name: 'A\u0000' }).success).toBe(false);
  });

  it('accept any other text, emoji and control characters included', () => {
    expect(Content.parse('hi\u0001 🙂 <script>')).toBe('hi\u0001 🙂 <script>');
    expect(CreateConversationBody.parse({ title: '  team  ', member_ids: [] }).title).toBe('team');
  });
});
