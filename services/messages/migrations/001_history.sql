-- Message history read model, written in the same transaction as the events (read-your-writes).
CREATE TABLE history (
  id uuid PRIMARY KEY,
  conversation_id uuid NOT NULL,
  seq bigint NOT NULL,
  client_message_id text NOT NULL,
  sender_id uuid NOT NULL,
  sender_username text NOT NULL,
  content text NOT NULL,
  created_at timestamptz NOT NULL,
  edited_at timestamptz,
  deleted boolean NOT NULL DEFAULT false,
  reactions jsonb NOT NULL DEFAULT '{}',
  mentions jsonb NOT NULL DEFAULT '[]',
  UNIQUE (conversation_id, seq),
  -- Idempotent sends: one message per (sender, client message id), whatever the retries.
  UNIQUE (sender_id, client_message_id)
);
