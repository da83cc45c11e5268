-- The ingest ledger: one row per file seam looked at, whatever became of it. The content hash
-- (sha256 of the file's bytes) is the exactly-once key: at most one applied row per hash.
CREATE TABLE ingest_files (
  id uuid PRIMARY KEY,
  system text,
  feed text,
  file_name text NOT NULL,
  -- NULL only when the file could not be read at all (symlink, vanished, unreadable).
  sha256 text,
  size_bytes bigint,
  business_date date,
  -- Business date and time from the file name (delta feeds carry HHMM); orders files of one feed.
  business_at timestamptz,
  status text NOT NULL CHECK (status IN ('applied', 'duplicate', 'rejected', 'flagged')),
  -- Stable machine code of why a file was not applied (e.g. trailer_count_mismatch), NULL when applied.
  reason_code text,
  reason text,
  details jsonb NOT NULL DEFAULT '{}',
  -- For duplicates: the applied file whose content this repeats.
  duplicate_of uuid REFERENCES ingest_files (id),
  rows_total integer NOT NULL DEFAULT 0,
  rows_valid integer NOT NULL DEFAULT 0,
  rows_quarantined integer NOT NULL DEFAULT 0,
  created_count integer NOT NULL DEFAULT 0,
  updated_count integer NOT NULL DEFAULT 0,
  deleted_count integer NOT NULL DEFAULT 0,
  unchanged_count integer NOT NULL DEFAULT 0,
  -- Where the file was moved (relative to the drop folder), once moved.
  moved_to text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  duration_ms integer NOT NULL DEFAULT 0,
  -- Phase timings (hash, read, apply) in milliseconds, for operators chasing a slow night.
  timings jsonb NOT NULL DEFAULT '{}',
  -- Which process handled it (host:pid), for multi-process set-ups.
  handled_by text
);
-- Exactly once: the same content is applied at most once, whatever its name.
CREATE UNIQUE INDEX ingest_files_applied_sha_idx ON ingest_files (sha256) WHERE status = 'applied';
CREATE INDEX ingest_files_feed_idx ON ingest_files (feed, business_at) WHERE status = 'applied';
CREATE INDEX ingest_files_name_idx ON ingest_files (file_name);
CREATE INDEX ingest_files_finished_idx ON ingest_files (finished_at DESC, id);

-- Bad rows of a file: kept so an operator can see (and the legacy team fix) what was not applied.
CREATE TABLE ingest_quarantine (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file_id uuid NOT NULL REFERENCES ingest_files (id),
  feed text,
  line integer NOT NULL,
  record_key text,
  field text,
  reason_code text NOT NULL,
  reason text NOT NULL,
  -- The offending line, cut to 1 KiB (a 10 MB line is not worth keeping whole).
  raw text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingest_quarantine_file_idx ON ingest_quarantine (file_id, line);
CREATE INDEX ingest_quarantine_feed_idx ON ingest_quarantine (feed, id);
