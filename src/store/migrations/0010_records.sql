-- Current normalised state of every agent-facing record, one row per (system, resource, key),
-- with where it came from (provenance) and how old it is (as_of).
CREATE TABLE records (
  system text NOT NULL,
  resource text NOT NULL,
  key text NOT NULL,
  -- The normalised record, valid against the adapter's zod schema.
  data jsonb NOT NULL,
  -- sha256 of the canonical JSON of data: lets a snapshot diff skip unchanged rows cheaply.
  hash text NOT NULL,
  -- Bumped on every change; a proposal pins the version it was based on.
  version bigint NOT NULL DEFAULT 1,
  -- 'feed' (batch drop) or 'soap' (live read or poll); source_ref says which file:line or operation.
  source text NOT NULL CHECK (source IN ('feed', 'soap', 'api')),
  source_ref text,
  -- When the legacy system said this was true (file business date, SOAP answer time).
  as_of timestamptz NOT NULL,
  business_date date,
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Deleted by a snapshot or a delta: kept (tombstone) so history and proposals can refer to it.
  deleted_at timestamptz,
  PRIMARY KEY (system, resource, key)
);

CREATE INDEX records_live_idx ON records (system, resource, key) WHERE deleted_at IS NULL;
