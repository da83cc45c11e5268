-- Shadow mode: the replacement system is read beside the legacy one and every difference recorded,
-- so a cut-over can be decided on evidence (docs/adapters.md, "Swapping the legacy system out").

-- One row per distinct difference of one record: seen again, it counts up; when a later comparison
-- of that record no longer shows it, it is resolved (and reopened if it comes back).
CREATE TABLE shadow_diffs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The adapter folder of the shadow system, so two candidates' evidence never mixes.
  shadow_adapter text NOT NULL,
  system text NOT NULL,
  resource text NOT NULL,
  key text NOT NULL,
  -- sha256 of kind, field and both values: what makes a difference "the same one again".
  fingerprint text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('field', 'missing', 'extra', 'invalid', 'error')),
  field text,
  -- The two values as JSON; for sensitive fields only a hash of each (`sha256:...`), never the value.
  primary_value jsonb,
  shadow_value jsonb,
  redacted boolean NOT NULL DEFAULT false,
  -- `error` and `invalid`: the problem code (e.g. legacy_timeout).
  detail text,
  -- `one` (a single read) or `page` (a record of a poll's page), as last seen.
  via text NOT NULL,
  occurrences bigint NOT NULL DEFAULT 1,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  resolved_at timestamptz,
  UNIQUE (shadow_adapter, system, resource, key, fingerprint)
);
CREATE INDEX shadow_diffs_open ON shadow_diffs (resource, field) WHERE resolved_at IS NULL;
CREATE INDEX shadow_diffs_record ON shadow_diffs (system, resource, key) WHERE resolved_at IS NULL;

-- Comparisons made per resource: the denominator that makes a count of differences mean something.
CREATE TABLE shadow_resources (
  shadow_adapter text NOT NULL,
  system text NOT NULL,
  resource text NOT NULL,
  compared bigint NOT NULL DEFAULT 0,
  same bigint NOT NULL DEFAULT 0,
  different bigint NOT NULL DEFAULT 0,
  errors bigint NOT NULL DEFAULT 0,
  -- The shadow refused (overloaded, breaker open) or too many comparisons were waiting.
  skipped bigint NOT NULL DEFAULT 0,
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  PRIMARY KEY (shadow_adapter, system, resource)
);
