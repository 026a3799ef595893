-- Each asynchronous projection's position in the JetStream events stream, written in the same
-- transaction as the rows it projects, so a redelivered event is recognised and skipped.
CREATE TABLE projection_checkpoints (
  name text PRIMARY KEY,
  stream_sequence bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
