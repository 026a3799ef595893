-- Reliable publication: the relay reads committed events in (transaction_id, position) order and
-- only below the oldest running transaction (pg_snapshot_xmin), so a transaction that took its
-- positions early but commits late is never skipped. Existing rows get this migration's id.
ALTER TABLE events ADD COLUMN transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_relay_order ON events (transaction_id, position);

-- How far each relay has published: the last (transaction_id, position) JetStream acknowledged.
CREATE TABLE relay_checkpoints (
  name text PRIMARY KEY,
  transaction_id xid8 NOT NULL DEFAULT '0',
  position bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
