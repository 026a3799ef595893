-- Asynchronous projection of auth's user.registered events (JetStream consumer, checkpoint in
-- projection_checkpoints), so mentions resolve @usernames without asking auth. Users who signed up
-- before the events stream existed are backfilled from users.list when the table is empty.
-- Rebuilt by `npm run projections -- rebuild user_directory`.
CREATE TABLE user_directory (
  user_id uuid PRIMARY KEY,
  username text NOT NULL,
  full_name text,
  -- The event's time; null for a user known only from the backfill.
  registered_at timestamptz
);

CREATE UNIQUE INDEX user_directory_username_lower_key ON user_directory (lower(username));
