-- Inline projection of the conversation streams, written in the transaction that appends their
-- events, so a conversation is readable as soon as its creation is acknowledged. It can be
-- dropped and rebuilt from the events.
CREATE TABLE conversations (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('direct', 'group')),
  title text NOT NULL,
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL,
  -- The two members' ids, sorted and joined by ':', for direct chats only (NULL for groups):
  -- unique, so concurrent creates of the same pair cannot make two conversations.
  direct_key text UNIQUE
);

CREATE TABLE members (
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  joined_at timestamptz NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);

-- "My conversations" starts from the user.
CREATE INDEX members_user_id ON members (user_id);
