-- Users: email is stored normalized (trimmed, lower-case) and unique case-insensitively either way.
CREATE TABLE users (
  id text PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  phone text,
  role text NOT NULL CHECK (role IN ('customer', 'admin')),
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Refresh tokens: only the SHA-256 of each token; one family per sign-in, one row per rotation.
CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY,
  family_id text NOT NULL,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  issued_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  rotated_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- Failed sign-ins per key (`account:<email>`, `client:<ip>`), shared by every Lambda container.
CREATE TABLE login_throttle (
  key text PRIMARY KEY,
  failures int NOT NULL,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz
);
