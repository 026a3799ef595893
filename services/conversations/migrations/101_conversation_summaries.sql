-- Asynchronous projection of the messages service's events (JetStream consumer, checkpoint in
-- projection_checkpoints): each conversation's latest message and seq, and each member's read
-- position, from which unread counts follow. Rebuilt by `npm run projections -- rebuild conversation_summaries`.
CREATE TABLE conversation_summaries (
  conversation_id uuid PRIMARY KEY,
  last_seq bigint NOT NULL,
  last_message jsonb NOT NULL,
  last_activity_at timestamptz NOT NULL
);

-- Read positions move forward only; sending a message counts as having read up to it.
CREATE TABLE read_cursors (
  conversation_id uuid NOT NULL,
  user_id uuid NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);
