/**
 * What operators do: claim a proposal from the queue, carry it out by hand in the legacy system,
 * and record it as executed (with the legacy reference) or failed; or give it back.
 *
 * Claiming is one conditional UPDATE (`WHERE state = 'queued' AND NOT stale AND <record unchanged>`):
 * of any number of operators clicking at once, exactly one gets the row back.
 */
import type { Principal } from '../access/types.ts';
import { canonicalJson } from '../records/repo.ts';
import type { Queryable } from '../store/types.ts';
import { actorOf, type ProposalDeps } from './deps.ts';
import { proposalProblems as P } from './errors.ts';
import { reconcilePin } from './pin.ts';
import { approvalsOf, findProposal, SAME_VERSION, transition } from './repo.ts';
import { commitThenRefuse } from './review.ts';
import { parseInput } from './submit.ts';
import type { DbProposal } from './types.ts';

/** The event log's newest position: evidence about the target after it counts for verification. */
async function headPosition(tx: Queryable): Promise<number> {
  const r = await tx.query<{ last_position: number }>('SELECT last_position FROM event_log_head');
  return r.rows[0]?.last_position ?? 0;
}

/** Why a claim of this proposal cannot succeed (checked again, atomically, by the UPDATE). */
function claimRefusal(p: DbProposal, principal: Principal, now: Date) {
  if (p.state === 'pending_approval') return P.notApproved(p);
  if (p.state === 'expired') return P.expired(p);
  if (p.state === 'claimed')
    return p.claimed_by_id === principal.id
      ? P.invalidState(p, 'claimed again')
      : P.claimedByOther(p, 'already_claimed');
  if (p.state !== 'queued') return P.invalidState(p, 'claimed');
  if (p.stale) return P.stale(p);
  if (p.execute_due_at && p.execute_due_at <= now) return P.expired(p);
  return undefined;
}

export async function claim(deps: ProposalDeps, principal: Principal, idOrRef: string): Promise<DbProposal> {
  const now = deps.now();
  const actor = actorOf(principal);
  return commitThenRefuse(deps, async (tx) => {
    const p = await findProposal(tx, idOrRef);
    if (!p) throw P.notFound(idOrRef);
    const early = claimRefusal(p, principal, now);
    if (early) throw early;
    if (p.proposer_id === principal.id) throw P.makerChecker(p, 'proposed');
    if (!p.route.approverMayExecute) {
      const approvals = (await approvalsOf(tx, [p.id])).get(p.id) ?? [];
      if (approvals.some((a) => a.approver_id === principal.id)) throw P.fourEyes(p);
    }
    const pin = await reconcilePin(deps, tx, p, actor, now);
    if (!pin.ok) return { refuse: P.stale(pin.proposal) };
    const claimed = await transition(
      tx,
      p.id,
      ['queued'],
      'claimed',
      {
        claimed_by_id: principal.id,
        claimed_by_name: principal.name,
        claimed_at: now,
        verify_after_position: await headPosition(tx),
      },
      { now, where: `NOT stale AND execute_due_at > $1 AND ${SAME_VERSION}`, whereParams: [now] },
    );
    if (!claimed) {
      // Lost the race, or the record moved in between: say which.
      const fresh = (await findProposal(tx, p.id, { forUpdate: true }))!;
      const why = claimRefusal(fresh, principal, now);
      if (why) throw why;
      const again = await reconcilePin(deps, tx, fresh, actor, now);
      return { refuse: again.ok ? P.claimedByOther(fresh, 'already_claimed') : P.stale(again.proposal) };
    }
    await deps.journal.write(tx, claimed, 'claimed', actor, {}, now);
    return claimed;
  });
}

/** Give a claimed proposal back to the queue (the operator cannot do it now). */
export async function release(
  deps: ProposalDeps,
  principal: Principal,
  idOrRef: string,
  reason?: string,
): Promise<DbProposal> {
  const now = deps.now();
  return deps.store.transaction(async (tx) => {
    const p = await findProposal(tx, idOrRef, { forUpdate: true });
    if (!p) throw P.notFound(idOrRef);
    if (p.state !== 'claimed') throw P.invalidState(p, 'released');
    if (p.claimed_by_id !== principal.id && !principal.roles.includes('admin')) throw P.claimedByOther(p);
    const back = await transition(
      tx,
      p.id,
      ['claimed'],
      'queued',
      { claimed_by_id: null, claimed_by_name: null, claimed_at: null },
      { now },
    );
    if (!back) throw P.invalidState(p, 'released');
    await deps.journal.write(tx, back, 'released', actorOf(principal), reason ? { reason } : {}, now);
    return back;
  });
}

/** Why executing (or failing) this proposal is refused, in the order a person would want to hear it. */
function executeRefusal(p: DbProposal, principal: Principal, action: string) {
  switch (p.state) {
    case 'pending_approval':
      return p.stale ? P.stale(p) : P.notApproved(p);
    case 'expired':
      return P.expired(p);
    case 'queued':
      return p.stale ? P.stale(p) : P.notClaimed(p);
    case 'claimed':
      return p.claimed_by_id === principal.id ? undefined : P.claimedByOther(p);
    default:
      return P.invalidState(p, action);
  }
}

export interface ExecuteInput {
  /** The legacy system's transaction or reference number for what was done. */
  reference: string;
  note?: string;
  /** Input fields the operator did differently (e.g. a lower limit the customer agreed to on the phone). */
  edits?: Record<string, unknown>;
}

export async function execute(
  deps: ProposalDeps,
  principal: Principal,
  idOrRef: string,
  body: ExecuteInput,
): Promise<DbProposal> {
  const now = deps.now();
  const found = await findProposal(deps.store, idOrRef);
  if (!found) throw P.notFound(idOrRef);
  const refusal = executeRefusal(found, principal, 'marked executed');
  if (refusal) throw refusal;
  // An edit changes what was carried out: validate it like an input and recompute the expected state
  // from the record the proposal was based on.
  let expected = found.expected;
  let edits: Record<string, unknown> | null = null;
  if (body.edits && Object.keys(body.edits).length > 0) {
    const entry = deps.catalog.get(found.type);
    if (!entry) throw P.unknownType(found.type, deps.catalog.ids());
    const merged = parseInput(entry.def, { ...found.input, ...body.edits });
    if (entry.def.targetKey(merged) !== found.target_key) throw P.editChangesTarget();
    const changed = Object.keys(merged).filter(
      (k) => canonicalJson(merged[k]) !== canonicalJson(found.input[k]),
    );
    if (changed.length > 0) {
      edits = Object.fromEntries(changed.map((k) => [k, merged[k]]));
      expected = entry.def.expected(merged, found.base_record) as Record<string, unknown>;
    }
  }
  return deps.store.transaction(async (tx) => {
    const done = await transition(
      tx,
      found.id,
      ['claimed'],
      'executed',
      {
        execution_mode: 'manual',
        executed_by_id: principal.id,
        executed_by_name: principal.name,
        executed_at: now,
        legacy_reference: body.reference,
        execution_note: body.note ?? null,
        executed_input: edits,
        expected,
        verification: { live: { result: 'pending' }, snapshot: { result: 'pending' } },
        verify_next_at: now,
        verify_due_at: new Date(now.getTime() + found.route.verifyWithinMs),
      },
      { now, where: 'claimed_by_id = $1', whereParams: [principal.id] },
    );
    if (!done) {
      const fresh = (await findProposal(tx, found.id))!;
      throw executeRefusal(fresh, principal, 'marked executed') ?? P.invalidState(fresh, 'marked executed');
    }
    await deps.journal.write(
      tx,
      done,
      'executed',
      actorOf(principal),
      {
        legacyReference: body.reference,
        ...(body.note ? { note: body.note } : {}),
        ...(edits ? { edits } : {}),
      },
      now,
    );
    return done;
  });
}

/** The operator could not carry it out (the legacy system refused, the customer account is locked...). */
export async function fail(
  deps: ProposalDeps,
  principal: Principal,
  idOrRef: string,
  reason: string,
): Promise<DbProposal> {
  const now = deps.now();
  return deps.store.transaction(async (tx) => {
    const p = await findProposal(tx, idOrRef, { forUpdate: true });
    if (!p) throw P.notFound(idOrRef);
    const refusal = executeRefusal(p, principal, 'marked failed');
    if (refusal) throw refusal;
    const failed = await transition(
      tx,
      p.id,
      ['claimed'],
      'failed',
      { closed_by_id: principal.id, closed_by_name: principal.name, closed_at: now, outcome_reason: reason },
      { now, where: 'claimed_by_id = $1', whereParams: [principal.id] },
    );
    if (!failed) throw P.invalidState(p, 'marked failed');
    await deps.journal.write(tx, failed, 'failed', actorOf(principal), { reason }, now);
    return failed;
  });
}
