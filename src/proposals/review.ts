/**
 * Approving and rejecting. Each runs in one transaction holding the proposal's row lock, so two
 * approvers clicking at once are served one after the other; the approvals table's keys make a
 * double approval impossible even so. Refusals change nothing, with one exception that is itself
 * information: finding a field the proposal depends on changed marks it stale (and says so) before
 * refusing.
 */
import type { Principal } from '../access/types.ts';
import type { Problem } from '../http/problem.ts';
import type { Queryable } from '../store/types.ts';
import { actorOf, type ProposalDeps } from './deps.ts';
import { proposalProblems as P } from './errors.ts';
import { describeStep, satisfiesStep } from './policy.ts';
import { reconcilePin } from './pin.ts';
import { approvalsOf, findProposal, transition, updateProposal } from './repo.ts';
import type { DbProposal } from './types.ts';

/** Run fn in a transaction; a Problem it returns (rather than throws) is thrown after commit. */
export async function commitThenRefuse<T>(
  deps: ProposalDeps,
  fn: (tx: Queryable) => Promise<T | { refuse: Problem }>,
): Promise<T> {
  const out = await deps.store.transaction(fn);
  if (out && typeof out === 'object' && 'refuse' in out) throw out.refuse;
  return out as T;
}

export async function approve(
  deps: ProposalDeps,
  principal: Principal,
  idOrRef: string,
  note?: string,
): Promise<DbProposal> {
  if (principal.kind !== 'human' || !principal.roles.includes('approver')) throw P.agentCannotApprove();
  const now = deps.now();
  const actor = actorOf(principal);
  return commitThenRefuse(deps, async (tx) => {
    const p = await findProposal(tx, idOrRef, { forUpdate: true });
    if (!p) throw P.notFound(idOrRef);
    if (p.state === 'expired') throw P.expired(p);
    if (p.state !== 'pending_approval') throw P.invalidState(p, 'approved');
    if (p.approval_due_at && p.approval_due_at <= now) throw P.expired(p);
    if (p.proposer_id === principal.id) throw P.makerChecker(p, 'proposed');
    const approvals = (await approvalsOf(tx, [p.id])).get(p.id) ?? [];
    if (approvals.some((a) => a.approver_id === principal.id)) throw P.alreadyApproved(p);
    if (p.stale) throw P.stale(p);
    const pin = await reconcilePin(deps, tx, p, actor, now);
    if (!pin.ok) return { refuse: P.stale(pin.proposal) };
    const step = approvals.length;
    const need = p.route.steps[step];
    if (need === undefined) throw P.invalidState(p, 'approved again');
    if (!satisfiesStep(need, principal.name)) throw P.namedApproverRequired(p, describeStep(need));
    const inserted = await tx.query(
      `INSERT INTO proposal_approvals (proposal_id, approver_id, approver_name, step, note, approved_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [p.id, principal.id, principal.name, step, note ?? null, now],
    );
    if (inserted.rowCount === 0) throw P.alreadyApproved(p);
    const last = step + 1 === p.route.steps.length;
    const next = last
      ? await transition(
          tx,
          p.id,
          ['pending_approval'],
          'queued',
          {
            queued_at: now,
            execute_due_at: new Date(now.getTime() + p.route.executeWithinMs),
          },
          { now },
        )
      : await updateProposal(tx, p.id, {}, now);
    if (!next) throw P.invalidState(p, 'approved');
    await deps.journal.write(
      tx,
      next,
      'approved',
      actor,
      { step: step + 1, of: p.route.steps.length, ...(note ? { note } : {}) },
      now,
    );
    if (last) await deps.journal.write(tx, next, 'queued', actor, { approvals: p.route.steps.length }, now);
    return next;
  });
}

/**
 * Reject with a reason. Approvers (and admins) reject what awaits approval; operators (and admins)
 * reject what is queued or what they claimed (e.g. "the customer called: do not raise").
 */
export async function reject(
  deps: ProposalDeps,
  principal: Principal,
  idOrRef: string,
  reason: string,
): Promise<DbProposal> {
  const now = deps.now();
  const actor = actorOf(principal);
  const has = (r: string) => principal.roles.includes(r as never);
  return deps.store.transaction(async (tx) => {
    const p = await findProposal(tx, idOrRef, { forUpdate: true });
    if (!p) throw P.notFound(idOrRef);
    const allowed =
      (p.state === 'pending_approval' && (has('approver') || has('admin'))) ||
      (p.state === 'queued' && (has('operator') || has('approver') || has('admin'))) ||
      (p.state === 'claimed' && (p.claimed_by_id === principal.id || has('admin')));
    if (!allowed) {
      if (p.state === 'claimed') throw P.claimedByOther(p);
      if (['pending_approval', 'queued'].includes(p.state))
        throw P.invalidState(p, 'rejected by someone with your roles');
      throw P.invalidState(p, 'rejected');
    }
    const closed = await transition(
      tx,
      p.id,
      [p.state],
      'rejected',
      { closed_by_id: principal.id, closed_by_name: principal.name, closed_at: now, outcome_reason: reason },
      { now },
    );
    if (!closed) throw P.invalidState(p, 'rejected');
    await deps.journal.write(tx, closed, 'rejected', actor, { reason, from: p.state }, now);
    return closed;
  });
}
