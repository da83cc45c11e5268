/**
 * The clock side of the workflow, run every minute (and the stale check also on every record
 * change): proposals whose approval deadline passed expire and escalate; approvals close to their
 * deadline escalate once; approved proposals nobody carried out in time expire; executed proposals
 * nothing could confirm by their verification deadline escalate; proposals whose record moved are
 * flagged stale. Every statement is a conditional UPDATE ... RETURNING, so when several processes
 * sweep at once each proposal is handled by exactly one of them.
 *
 * Each escalation writes an event (`seam.proposal.escalated`) and a warning log line with
 * `alert: "proposal_escalated"` (expiries also `alert: "proposal_expired"`) for alerting to match.
 */
import type { ProposalDeps } from './deps.ts';
import type { Transition } from './journal.ts';
import { reconcilePin } from './pin.ts';
import { findProposal } from './repo.ts';
import { SYSTEM_ACTOR, type DbProposal } from './types.ts';

export interface SweepResult {
  expired: number;
  escalated: number;
  stale: number;
}

/** A gated-write claim older than this was abandoned (a write takes seconds, bounded by its timeout). */
export const GATED_CLAIM_TIMEOUT_MS = 10 * 60_000;

const hours = (ms: number) => `${Math.round((ms / 3_600_000) * 10) / 10} h`;

export async function sweep(deps: ProposalDeps): Promise<SweepResult> {
  const now = deps.now();
  const out: SweepResult = { expired: 0, escalated: 0, stale: 0 };
  const escalateTo = (p: DbProposal) => deps.catalog.get(p.type)?.escalation ?? null;
  const alert = (p: DbProposal, kind: string, message: string, extra: Record<string, unknown> = {}) =>
    deps.log.warn(
      {
        alert: kind,
        proposalId: p.id,
        reference: `P-${p.number}`,
        type: p.type,
        target: `${p.resource}/${p.target_key}`,
        escalateTo: escalateTo(p),
        ...extra,
      },
      message,
    );

  await deps.store.transaction(async (tx) => {
    const journal = async (p: DbProposal, t: Transition, data: Record<string, unknown>) =>
      deps.journal.write(tx, p, t, SYSTEM_ACTOR, data, now);

    // 1. Not approved in time.
    const expired = await tx.query<DbProposal>(
      `UPDATE proposals SET state = 'expired', closed_by_id = 'seam', closed_by_name = 'seam', closed_at = $1,
              outcome_reason = 'not approved before its deadline', updated_at = $1
        WHERE state = 'pending_approval' AND approval_due_at <= $1 RETURNING *`,
      [now],
    );
    for (const p of expired.rows) {
      await journal(p, 'expired', {
        reason: 'not approved before its deadline',
        deadline: p.approval_due_at,
      });
      await journal(p, 'escalated', { reason: 'expired_unapproved', escalateTo: escalateTo(p) });
      alert(p, 'proposal_expired', 'proposal expired without the approvals policy requires');
    }
    // 2. Approved but not carried out in time (the data may have moved on; propose again).
    const unexecuted = await tx.query<DbProposal>(
      `UPDATE proposals SET state = 'expired', closed_by_id = 'seam', closed_by_name = 'seam', closed_at = $1,
              outcome_reason = 'not carried out before its deadline', updated_at = $1
        WHERE state = 'queued' AND execute_due_at <= $1 RETURNING *`,
      [now],
    );
    for (const p of unexecuted.rows) {
      await journal(p, 'expired', {
        reason: 'not carried out before its deadline',
        deadline: p.execute_due_at,
      });
      await journal(p, 'escalated', { reason: 'expired_unexecuted', escalateTo: escalateTo(p) });
      alert(p, 'proposal_expired', 'approved proposal expired: no operator carried it out in time');
    }
    out.expired = expired.rowCount + unexecuted.rowCount;
    out.escalated += out.expired;

    // 3. Approval deadline close: escalate once.
    const atRisk = await tx.query<DbProposal>(
      `UPDATE proposals SET escalated_at = $1, updated_at = $1
        WHERE state = 'pending_approval' AND escalated_at IS NULL
          AND approval_due_at - make_interval(secs => (route->>'escalateBeforeExpiryMs')::numeric / 1000) <= $1
        RETURNING *`,
      [now],
    );
    for (const p of atRisk.rows) {
      const left = p.approval_due_at ? p.approval_due_at.getTime() - now.getTime() : 0;
      await journal(p, 'escalated', {
        reason: 'approval_due_soon',
        dueAt: p.approval_due_at,
        escalateTo: escalateTo(p),
      });
      alert(p, 'proposal_escalated', `proposal still awaits approval; it expires in ${hours(left)}`, {
        dueAt: p.approval_due_at,
      });
    }
    // 4. Marked executed, but nothing could confirm it by the verification deadline.
    const unverified = await tx.query<DbProposal>(
      `UPDATE proposals SET verification = jsonb_set(verification, '{escalatedAt}', to_jsonb($1::text)), updated_at = $2
        WHERE state = 'executed' AND verify_due_at <= $2 AND NOT (verification ? 'escalatedAt')
        RETURNING *`,
      [now.toISOString(), now],
    );
    for (const p of unverified.rows) {
      await journal(p, 'escalated', { reason: 'verification_overdue', escalateTo: escalateTo(p) });
      alert(
        p,
        'proposal_escalated',
        'executed proposal could not be verified against the system of record in time',
      );
    }
    out.escalated += atRisk.rowCount + unverified.rowCount;

    // 5. gated-write: a claim seam made and never finished (the process died mid-write). Whether the
    //    write reached the box is unknown: back to the operators, flagged, for a person to check.
    const stuck = await tx.query<DbProposal>(
      `UPDATE proposals SET state = 'queued', claimed_by_id = NULL, claimed_by_name = NULL, claimed_at = NULL,
              updated_at = $1
        WHERE state = 'claimed' AND claimed_by_id = $2 AND claimed_at <= $3 RETURNING *`,
      [now, SYSTEM_ACTOR.id, new Date(now.getTime() - GATED_CLAIM_TIMEOUT_MS)],
    );
    for (const p of stuck.rows) {
      await journal(p, 'write_uncertain', { reason: 'seam stopped while carrying it out' });
      await journal(p, 'released', {
        reason: 'write outcome unknown: check the legacy record before carrying it out',
      });
      alert(p, 'gated_write_uncertain', 'gated-write did not finish; returned to the operators queue');
    }
  });
  out.stale = await markStaleProposals(deps);
  return out;
}

/**
 * Flag open proposals whose target record changed (or vanished) in a field they depend on; re-pin
 * the ones where only other fields moved.
 */
export async function markStaleProposals(deps: ProposalDeps): Promise<number> {
  const now = deps.now();
  const candidates = await deps.store.query<{ id: string }>(
    `SELECT p.id FROM proposals p
       LEFT JOIN records r ON r.system = p.system AND r.resource = p.resource AND r.key = p.target_key
      WHERE p.state IN ('pending_approval', 'queued') AND NOT p.stale
        AND (r.version IS NULL OR r.version <> p.base_version OR r.deleted_at IS NOT NULL)`,
  );
  let stale = 0;
  for (const { id } of candidates.rows) {
    await deps.store.transaction(async (tx) => {
      const p = await findProposal(tx, id, { forUpdate: true });
      if (!p || p.stale || (p.state !== 'pending_approval' && p.state !== 'queued')) return;
      const pin = await reconcilePin(deps, tx, p, SYSTEM_ACTOR, now);
      if (!pin.ok) stale++;
    });
  }
  return stale;
}
