-- Key lifecycle: who revoked a key, and which key a rotation replaced.
ALTER TABLE api_keys ADD COLUMN revoked_by text;
ALTER TABLE api_keys ADD COLUMN rotated_from uuid REFERENCES api_keys (id);

-- Rate limits: one token bucket per key (and one for all agents, and for sign-in attempts), shared
-- by every process on this database. `tokens` refills at capacity/60 per second up to `capacity`.
CREATE TABLE rate_buckets (
  bucket text PRIMARY KEY,
  tokens double precision NOT NULL,
  capacity double precision NOT NULL,
  refilled_at timestamptz NOT NULL
);

-- The kill switch: while a row matches an agent, its requests are refused. `target` is `*` (every
-- agent), `key:<key id>` or `name:<agent name>` (every key of that agent, rotations included).
CREATE TABLE agent_suspensions (
  target text PRIMARY KEY,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL
);
