-- Proposals: writes agents ask for. seam never carries them out in proposal mode: policy routes them
-- to approvers, an operator carries them out by hand in the legacy system, and seam verifies the
-- result against the system of record. Every transition is also an event and an audit row.
CREATE TABLE proposals (
  id uuid PRIMARY KEY,
  -- Short number people quote to each other and type into legacy memo fields ("P-1042").
  number bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  system text NOT NULL,
  type text NOT NULL,
  resource text NOT NULL,
  target_key text NOT NULL,
  input jsonb NOT NULL,
  -- The agent's stated reason: required, kept, shown to approvers and operators.
  reason text NOT NULL,
  state text NOT NULL CHECK (state IN (
    'pending_approval', 'queued', 'claimed', 'executed', 'verified', 'mismatch',
    'failed', 'rejected', 'expired')),
  -- The target record changed after the proposal was based on it; must be re-checked before anyone acts.
  stale boolean NOT NULL DEFAULT false,
  -- 'system': seam itself or a CLI run (a rollback plan started from the command line).
  proposer_kind text NOT NULL CHECK (proposer_kind IN ('agent', 'human', 'system')),
  proposer_id text NOT NULL,
  proposer_name text NOT NULL,
  -- A retried request with the same key returns the same proposal; request_hash tells a retry from a reuse.
  idempotency_key text NOT NULL,
  request_hash text NOT NULL,
  -- The record version (records.version) and state the proposal was based on.
  base_version bigint NOT NULL,
  base_record jsonb NOT NULL,
  impact_amount numeric NOT NULL,
  impact_currency text NOT NULL,
  impact_summary text NOT NULL,
  -- The target's fields once carried out (partial record); verification compares with these.
  expected jsonb NOT NULL,
  instructions jsonb NOT NULL,
  reversible boolean NOT NULL,
  irreversible_reason text,
  -- Where policy sent it (tier, approvals needed, SLAs, policy hash), frozen at submission.
  route jsonb NOT NULL,
  approval_due_at timestamptz,
  escalated_at timestamptz,
  execute_due_at timestamptz,
  queued_at timestamptz,
  claimed_by_id text,
  claimed_by_name text,
  claimed_at timestamptz,
  -- 'manual' (an operator by hand) or 'gated' (seam through the write operation, gated-write only).
  execution_mode text CHECK (execution_mode IN ('manual', 'gated')),
  executed_by_id text,
  executed_by_name text,
  executed_at timestamptz,
  legacy_reference text,
  execution_note text,
  -- What the operator actually did when it differs from the input (counted as an operator edit).
  executed_input jsonb,
  -- Rejection or failure: who and why.
  closed_by_id text,
  closed_by_name text,
  closed_at timestamptz,
  outcome_reason text,
  -- Verification against the system of record: live read and batch snapshot results.
  verification jsonb NOT NULL DEFAULT '{}',
  -- Events after this position about the target are evidence for verification.
  verify_after_position bigint,
  verify_next_at timestamptz,
  verify_due_at timestamptz,
  verified_at timestamptz,
  reverses uuid REFERENCES proposals (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (proposer_id, idempotency_key)
);

CREATE INDEX proposals_state_idx ON proposals (state, created_at);
CREATE INDEX proposals_target_idx ON proposals (system, resource, target_key);
CREATE INDEX proposals_type_idx ON proposals (type, created_at);
CREATE INDEX proposals_executed_idx ON proposals (executed_at) WHERE executed_at IS NOT NULL;

-- One row per approval given. The primary key makes "the same person approves twice" impossible
-- even for two requests racing; (proposal_id, step) makes two people filling one step impossible.
CREATE TABLE proposal_approvals (
  proposal_id uuid NOT NULL REFERENCES proposals (id),
  approver_id text NOT NULL,
  approver_name text NOT NULL,
  step integer NOT NULL,
  note text,
  approved_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (proposal_id, approver_id),
  UNIQUE (proposal_id, step)
);
