-- Scheduled changed-since polls of legacy systems, one row per (system, resource): the high-water
-- mark to ask from next time, and a lease so that of several seam processes sharing this database
-- only one polls a resource at a time (the others skip that round).
CREATE TABLE record_polls (
  system text NOT NULL,
  resource text NOT NULL,
  -- Ask the legacy system for records changed at or after this instant; NULL = never polled (full read).
  changed_since timestamptz,
  -- Held by `leased_by` until `lease_until`; an expired lease is free to take.
  leased_by text,
  lease_until timestamptz,
  last_started_at timestamptz,
  last_finished_at timestamptz,
  -- 'ok' or a stable error code (e.g. legacy_timeout), with counts of the last run.
  last_outcome text,
  last_counts jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (system, resource)
);
