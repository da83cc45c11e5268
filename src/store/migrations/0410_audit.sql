-- The audit trail: one row per action (agent request, proposal transition, operator action, key
-- or user change, mode change, kill switch). Append-only, enforced here: triggers refuse UPDATE,
-- DELETE and TRUNCATE whoever asks; only the table's owner or a superuser could disable them, which
-- is why production runs seam under a role that owns nothing (see docs/security.md).
-- Each row's hash covers its content and the previous row's hash, so any edit breaks the chain
-- from that row on; `seam audit verify` names the first broken row.
CREATE TABLE audit_log (
  -- Position in the chain: gap-free, assigned under the audit_head row lock.
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_kind text NOT NULL CHECK (actor_kind IN ('agent', 'human', 'system')),
  actor_id text NOT NULL,
  actor_name text NOT NULL,
  action text NOT NULL,
  -- Records touched, `resource/key` (e.g. accounts/004471).
  records text[] NOT NULL DEFAULT '{}',
  -- The input with secrets and personal data masked.
  input jsonb,
  decision text NOT NULL CHECK (decision IN ('allowed', 'denied')),
  reason text,
  -- HTTP status for requests; areas may leave it empty and describe the result instead.
  status integer,
  result jsonb,
  request_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_name_idx ON audit_log (lower(actor_name), at);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id, at);
CREATE INDEX audit_log_action_idx ON audit_log (action, at);
CREATE INDEX audit_log_records_idx ON audit_log USING gin (records);

-- The chain's head: appenders lock this one row, so positions and prev_hash are unambiguous
-- however many processes write at once.
CREATE TABLE audit_head (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = '42501';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_head_keep BEFORE DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
