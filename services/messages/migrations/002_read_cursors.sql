-- Each member's read cursor per conversation, part of the inline history read model: it moves
-- forward only, and read receipts are decided against it.
CREATE TABLE read_cursors (
  conversation_id uuid NOT NULL,
  user_id uuid NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);
