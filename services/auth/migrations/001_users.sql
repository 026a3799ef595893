CREATE TABLE users (
  id uuid PRIMARY KEY,
  username text NOT NULL,
  full_name text,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Usernames are unique whatever their case. Under "C" the one index also serves prefix search
-- (LIKE 'abc%') and the keyset order of the user list, the same on every database locale.
CREATE UNIQUE INDEX users_username_lower_key ON users ((lower(username) COLLATE "C"));

-- One row per issued refresh token; a family is every token rotated from one login, so reuse of
-- any spent member can revoke them all.
CREATE TABLE refresh_tokens (
  jti uuid PRIMARY KEY,
  family_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  revoked_at timestamptz
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
