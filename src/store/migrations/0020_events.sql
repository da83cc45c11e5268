-- Append-only change log in CloudEvents 1.0 shape, laid out as a transactional outbox
-- (aggregate_type, aggregate_id, type, payload) so CDC (Debezium) can fan it out without code.
CREATE TABLE events (
  -- Gap-free, commit-ordered position (see src/events/append.ts for why it is allocated under a lock).
  position bigint PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  source text NOT NULL,
  type text NOT NULL,
  subject text,
  time timestamptz NOT NULL,
  datacontenttype text NOT NULL DEFAULT 'application/json',
  data jsonb NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_type_idx ON events (type, position);
CREATE INDEX events_subject_idx ON events (subject, position);

-- One row holding the last position handed out. Writers take its row lock inside their transaction,
-- so positions become visible in the order they were given: a reader never skips a late commit.
CREATE TABLE event_log_head (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  last_position bigint NOT NULL
);
INSERT INTO event_log_head (id, last_position) VALUES (true, 0);
