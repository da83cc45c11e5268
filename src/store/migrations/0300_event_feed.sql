-- The read side of the event log: retention's tail marker and webhook subscriptions.

-- Events at or below pruned_through have been archived or pruned. The log always holds the
-- contiguous range (pruned_through, event_log_head.last_position]; a reader asking for an older
-- position gets 410, never a silent gap. A separate row from the head so retention never takes the
-- lock writers append under.
CREATE TABLE event_log_tail (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  pruned_through bigint NOT NULL DEFAULT 0,
  pruned_at timestamptz
);
INSERT INTO event_log_tail (id, pruned_through) VALUES (true, 0);

-- An agent's webhook: a URL, filters, a signing secret, and a cursor into the log. Delivery is
-- in position order per subscription; the cursor only moves past an event once it is delivered
-- (or did not match), so a crash re-delivers rather than skips (at least once).
CREATE TABLE webhook_subscriptions (
  id uuid PRIMARY KEY,
  -- The agent key that registered it; deliveries are redacted with that key's current scopes.
  owner_id text NOT NULL,
  owner_name text NOT NULL,
  url text NOT NULL,
  -- Type globs (e.g. `erp.account.*`); NULL means every type.
  types text[],
  subject_prefix text,
  -- Standard Webhooks secret (`whsec_` + base64). Kept because HMAC signing needs it.
  secret text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'parked')),
  -- Last position handled (delivered, or skipped because it did not match).
  cursor bigint NOT NULL,
  delivered_count bigint NOT NULL DEFAULT 0,
  consecutive_failures integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- Claim: one process works a subscription at a time; an expired lease is taken over.
  locked_by text,
  locked_until timestamptz,
  last_attempt_at timestamptz,
  last_success_at timestamptz,
  last_error text,
  parked_at timestamptz,
  parked_reason text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_owner_idx ON webhook_subscriptions (owner_id, created_at);
CREATE INDEX webhook_subscriptions_due_idx ON webhook_subscriptions (next_attempt_at) WHERE status = 'active';

-- Every delivery attempt, for the delivery-state routes; old rows are pruned by the retention job.
CREATE TABLE webhook_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  position bigint NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  -- 1 for the first try of this event, 2 for the first retry, ...
  attempt integer NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
  http_status integer,
  error text,
  duration_ms integer NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, id);
CREATE INDEX webhook_deliveries_attempted_at_idx ON webhook_deliveries (attempted_at);
