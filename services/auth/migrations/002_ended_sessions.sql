-- Login sessions (refresh-token families) that were ended by logout or by reuse detection. Access
-- tokens carry their session as `sid`, so gateways refuse a session's tokens from this list for
-- as long as one of them may be alive.
CREATE TABLE ended_sessions (
  session_id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason text NOT NULL CHECK (reason IN ('logout', 'refresh_token_reuse')),
  -- Milliseconds, as JSON carries them, so a page cursor read back from a reply is exact.
  ended_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE INDEX ended_sessions_ended_at_idx ON ended_sessions (ended_at, session_id);
