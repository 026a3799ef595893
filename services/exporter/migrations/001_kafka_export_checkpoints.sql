-- How far each source has been exported: the last JetStream stream sequence Kafka acknowledged.
CREATE TABLE kafka_export_checkpoints (
  source text PRIMARY KEY,
  stream_sequence bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
