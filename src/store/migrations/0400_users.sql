-- Humans: named accounts with roles (operator, approver, admin, auditor). Approvals, executions and
-- admin actions are recorded under these identities. Passwords are stored as scrypt hashes only.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  -- Login name, unique regardless of case ("Ana" and "ana" are one person).
  name text NOT NULL,
  display_name text,
  password_hash text NOT NULL,
  roles text[] NOT NULL DEFAULT '{}'
    CHECK (roles <@ ARRAY['operator', 'approver', 'admin', 'auditor']::text[]),
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_name_lower_idx ON users (lower(name));

-- Signed-in sessions. Only sha256 of the session token is stored; the token is handed out once.
CREATE TABLE user_sessions (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);
