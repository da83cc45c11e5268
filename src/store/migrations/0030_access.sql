-- Agent API keys. Only a sha256 of the key is stored; the key itself is shown once at creation.
CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  -- First characters of the key, shown in lists so a human can tell keys apart.
  display_prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  scopes text[] NOT NULL DEFAULT '{}',
  expires_at timestamptz,
  revoked_at timestamptz,
  -- Requests per minute for this key; NULL means the global default.
  rate_limit_per_minute integer CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  last_used_at timestamptz
);
CREATE INDEX api_keys_name_idx ON api_keys (name);
