/**
 * Submitting a proposal, and re-checking a stale one. Both validate the input against the type's
 * schema and the current record, compute impact, expected state and instructions, and ask policy
 * where it goes. The live read of the record happens before the transaction (a slow legacy box must
 * not hold a database transaction open).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ZodError } from 'zod';
import type { AnyProposalType, InstructionStep } from '../adapter/proposal-type.ts';
import type { Principal } from '../access/types.ts';
import { zodProblem } from '../http/problem.ts';
import { canonicalJson, getRecord } from '../records/repo.ts';
import type { StoredRecord } from '../records/types.ts';
import type { Queryable } from '../store/types.ts';
import { actorOf, type ProposalDeps } from './deps.ts';
import { proposalProblems as P } from './errors.ts';
import { readMode } from './mode.ts';
import { route as routeOf, type Route } from './policy.ts';
import {
  approvalsOf,
  findByIdempotencyKey,
  findOpenDuplicate,
  findProposal,
  insertProposal,
  updateProposal,
} from './repo.ts';
import { equalValues } from './compare.ts';
import type { Actor, DbProposal } from './types.ts';

export interface ProposeRequest {
  type: string;
  input: Record<string, unknown>;
  reason: string;
}

export interface Proposer {
  kind: 'agent' | 'human' | 'system';
  id: string;
  name: string;
  /** Agents need `propose:<type>`; people with an operator, approver or admin role may propose. */
  scopes: readonly string[];
}

/** Everything computed from (type, input, record): the parts of a proposal that policy and people see. */
export interface Assessment {
  input: Record<string, unknown>;
  targetKey: string;
  record: StoredRecord;
  impact: { amount: string; currency: string; summary: string };
  expected: Record<string, unknown>;
  instructions: InstructionStep[];
  route: Route;
}

export function requestHash(r: ProposeRequest): string {
  return createHash('sha256')
    .update(canonicalJson({ type: r.type, input: r.input, reason: r.reason.trim() }))
    .digest('hex');
}

function prefixed(err: ZodError) {
  const p = zodProblem(err, 'input');
  const errors = (p.extra.errors as { path: string }[]).map((e) => ({
    ...e,
    path: e.path ? `input.${e.path}` : 'input',
  }));
  return Object.assign(p, { extra: { ...p.extra, errors } });
}

/** Parse the input with the type's schema (400 validation_failed naming each bad field). */
export function parseInput(def: AnyProposalType, input: unknown): Record<string, unknown> {
  const r = def.input.safeParse(input);
  if (!r.success) throw prefixed(r.error);
  return r.data as Record<string, unknown>;
}

/** The target as it is now: read live when a live reader is there (falling back to seam's copy). */
export async function currentTarget(
  deps: ProposalDeps,
  system: string,
  resource: string,
  key: string,
): Promise<StoredRecord> {
  const subject = `${resource}/${key}`;
  let liveFailed = false;
  if (deps.live) {
    try {
      const rec = await deps.live.read(system, resource, key);
      if (rec === undefined) throw P.targetNotFound(subject);
    } catch (err) {
      if ((err as { code?: string }).code === 'target_not_found') throw err;
      liveFailed = true;
      deps.log.warn({ err, target: subject }, 'live read of a proposal target failed; using the stored copy');
    }
  }
  const stored = await getRecord(deps.store, system, resource, key, { includeDeleted: true });
  if (!stored) throw liveFailed ? P.targetUnavailable(subject) : P.targetNotFound(subject);
  if (stored.deleted) throw P.targetNotFound(subject, 'was deleted in the system of record');
  return stored;
}

/** Validate against the record and compute what people will see. Throws a Problem when it cannot apply. */
export function assess(
  deps: ProposalDeps,
  def: AnyProposalType,
  input: Record<string, unknown>,
  record: StoredRecord,
): Assessment {
  const subject = `${record.resource}/${record.key}`;
  const reasons = def.check?.(input, record.data) ?? [];
  if (reasons.length > 0) throw P.notApplicable(subject, reasons);
  const expected = def.expected(input, record.data) as Record<string, unknown>;
  if (Object.entries(expected).every(([k, v]) => equalValues(v, record.data[k]))) throw P.noChange(subject);
  const impact = def.impact(input, record.data);
  return {
    input,
    targetKey: record.key,
    record,
    impact,
    expected,
    instructions: def.instructions(input, record.data),
    route: routeOf(deps.policy, def.id, impact),
  };
}

/**
 * Fill in the proposal's reference where the adapter wrote `{proposal}`, and add the closing step
 * every operator sees, whatever the system: tell seam what was done.
 */
function withClosingStep(steps: InstructionStep[], number: number): InstructionStep[] {
  const ref = `P-${number}`;
  return [
    ...steps.map((s) => ({ ...s, text: s.text.replaceAll('{proposal}', ref) })),
    {
      text: `Back in seam, mark ${ref} executed with the legacy transaction or reference number the system showed, or mark it failed with the reason if the system refused.`,
    },
  ];
}

function deadlines(route: Route, now: Date, needsApproval: boolean) {
  const t = now.getTime();
  return {
    approvalDueAt: needsApproval && route.approveWithinMs ? new Date(t + route.approveWithinMs) : null,
    executeDueAt: needsApproval ? null : new Date(t + route.executeWithinMs),
    queuedAt: needsApproval ? null : now,
  };
}

export type ProposeResult = { created: boolean; proposal: DbProposal };

export async function propose(
  deps: ProposalDeps,
  who: Proposer,
  req: ProposeRequest,
  idempotencyKey: string,
  opts: { reverses?: string; evenIfReadOnly?: boolean } = {},
): Promise<ProposeResult> {
  const hash = requestHash(req);
  // A retry returns what the first request made, even if the record has moved on since.
  const earlier = await findByIdempotencyKey(deps.store, who.id, idempotencyKey);
  if (earlier) {
    if (earlier.request_hash !== hash) throw P.idempotencyKeyReused(earlier);
    return { created: false, proposal: earlier };
  }
  const now = deps.now();
  const mode = await readMode(deps.store, { goLive: deps.goLive, now });
  if (mode.mode === 'read-only' && !opts.evenIfReadOnly) throw P.readOnly();
  const entry = deps.catalog.get(req.type);
  if (!entry) throw P.unknownType(req.type, deps.catalog.ids());
  if (who.kind === 'agent' && !who.scopes.includes(`propose:${req.type}`)) throw P.typeNotAllowed(req.type);
  const def = entry.def;
  const input = parseInput(def, req.input);
  const key = def.targetKey(input);
  const record = await currentTarget(deps, entry.system, def.resource, key);
  const a = assess(deps, def, input, record);
  const needsApproval = a.route.steps.length > 0;

  return deps.store.transaction(async (tx) => {
    // One submission per target at a time (across processes): a retry waits for its twin and then
    // finds it by key below; the same change under another key must not pass the open-duplicate
    // check before the first commits.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '|' || $1, 0))`, [
      `proposal|${entry.system}|${def.id}|${key}`,
    ]);
    const raced = await findByIdempotencyKey(tx, who.id, idempotencyKey);
    if (raced) {
      if (raced.request_hash !== hash) throw P.idempotencyKeyReused(raced);
      return { created: false, proposal: raced };
    }
    const dup = await findOpenDuplicate(tx, { system: entry.system, type: def.id, targetKey: key, input });
    if (dup) throw P.duplicate(dup);
    const id = randomUUID();
    const row = await insertProposal(tx, {
      id,
      system: entry.system,
      type: def.id,
      resource: def.resource,
      targetKey: key,
      input,
      reason: req.reason.trim(),
      state: needsApproval ? 'pending_approval' : 'queued',
      proposer: { kind: who.kind, id: who.id, name: who.name },
      idempotencyKey,
      requestHash: hash,
      baseVersion: record.version,
      baseRecord: record.data,
      impact: a.impact,
      expected: a.expected,
      instructions: a.instructions,
      reversible: def.reversal.kind === 'reversible',
      irreversibleReason: def.reversal.kind === 'irreversible' ? def.reversal.reason : null,
      route: a.route,
      ...deadlines(a.route, now, needsApproval),
      reverses: opts.reverses ?? null,
      now,
    });
    if (!row) {
      // Lost a race with the same key: the other request's proposal is the answer.
      const other = (await findByIdempotencyKey(tx, who.id, idempotencyKey))!;
      if (other.request_hash !== hash) throw P.idempotencyKeyReused(other);
      return { created: false, proposal: other };
    }
    // The closing step names the proposal's number, known only now.
    const p = await updateProposal(
      tx,
      row.id,
      { instructions: withClosingStep(a.instructions, row.number) },
      now,
    );
    const actor: Actor = { kind: who.kind, id: who.id, name: who.name };
    await deps.journal.write(
      tx,
      p,
      'proposed',
      actor,
      {
        input,
        reason: p.reason,
        impact: a.impact,
        route: { tier: a.route.tier, why: a.route.why, approvals: a.route.steps.length },
        basedOnVersion: record.version,
        ...(opts.reverses ? { reverses: opts.reverses } : {}),
      },
      now,
    );
    if (!needsApproval) await deps.journal.write(tx, p, 'queued', actor, { why: a.route.why }, now);
    return { created: true, proposal: p };
  });
}

/** What a re-check concluded. */
export type RecheckOutcome = 'unchanged_route' | 'rerouted' | 'rejected';

/**
 * Re-check a proposal against the record as it is now: re-pin the version and clear `stale`.
 * Approvals stand only if what was approved still holds (same expected state, no stricter tier);
 * otherwise it goes back through policy from the start. If it no longer applies, it is rejected.
 */
export async function recheck(
  deps: ProposalDeps,
  principal: Principal,
  idOrRef: string,
): Promise<{ outcome: RecheckOutcome; proposal: DbProposal }> {
  const before = await findProposal(deps.store, idOrRef);
  if (!before) throw P.notFound(idOrRef);
  if (before.state !== 'pending_approval' && before.state !== 'queued')
    throw P.invalidState(before, 're-checked');
  const entry = deps.catalog.get(before.type);
  if (!entry) throw P.unknownType(before.type, deps.catalog.ids());
  const actor = actorOf(principal);
  const record = await currentTarget(deps, before.system, before.resource, before.target_key).catch(
    (err: unknown) => {
      if ((err as { code?: string }).code === 'target_not_found') return undefined;
      throw err;
    },
  );
  let a: Assessment | undefined;
  let notApplicable: string | undefined;
  if (record) {
    try {
      a = assess(deps, entry.def, before.input, record);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'not_applicable' && code !== 'no_change') throw err;
      notApplicable = (err as Error).message;
    }
  } else notApplicable = `${before.resource}/${before.target_key} no longer exists`;

  const now = deps.now();
  return deps.store.transaction(async (tx) => {
    const p = (await findProposal(tx, before.id, { forUpdate: true }))!;
    if (p.state !== 'pending_approval' && p.state !== 'queued') throw P.invalidState(p, 're-checked');
    if (record && (await versionOf(tx, p)) !== record.version) throw P.changedAgain(p);
    if (!a) {
      const closed = await rejectBySystem(
        deps,
        tx,
        p,
        `no longer applies after re-check: ${notApplicable}`,
        actor,
        now,
      );
      return { outcome: 'rejected' as const, proposal: closed };
    }
    const approvals = (await approvalsOf(tx, [p.id])).get(p.id) ?? [];
    const sameExpected = canonicalJson(a.expected) === canonicalJson(p.expected);
    const noStricter = a.route.steps.length <= p.route.steps.length;
    const keep = sameExpected && noStricter;
    const needsApproval = a.route.steps.length > (keep ? approvals.length : 0);
    const set: Record<string, unknown> = {
      stale: false,
      base_version: record!.version,
      base_record: record!.data,
      impact_amount: a.impact.amount,
      impact_currency: a.impact.currency,
      impact_summary: a.impact.summary,
      expected: a.expected,
      instructions: withClosingStep(a.instructions, p.number),
      route: a.route,
    };
    if (!keep) {
      await tx.query('DELETE FROM proposal_approvals WHERE proposal_id = $1', [p.id]);
      const d = deadlines(a.route, now, needsApproval);
      Object.assign(set, {
        approval_due_at: d.approvalDueAt,
        execute_due_at: d.executeDueAt,
        queued_at: d.queuedAt,
        state: needsApproval ? 'pending_approval' : 'queued',
        escalated_at: null,
      });
    }
    const updated = await updateProposal(tx, p.id, set, now);
    await deps.journal.write(
      tx,
      updated,
      'rechecked',
      actor,
      {
        basedOnVersion: record!.version,
        impactBefore: { amount: p.impact_amount, currency: p.impact_currency },
        impact: a.impact,
        approvalsKept: keep ? approvals.length : 0,
        approvalsCleared: keep ? 0 : approvals.length,
      },
      now,
    );
    if (!keep && !needsApproval && p.state !== 'queued')
      await deps.journal.write(tx, updated, 'queued', actor, { why: a.route.why }, now);
    return { outcome: keep ? ('unchanged_route' as const) : ('rerouted' as const), proposal: updated };
  });
}

async function versionOf(tx: Queryable, p: DbProposal): Promise<number | undefined> {
  const r = await getRecord(tx, p.system, p.resource, p.target_key);
  return r?.version;
}

/** seam closes a proposal that can no longer apply (kept apart from a person's rejection). */
export async function rejectBySystem(
  deps: ProposalDeps,
  tx: Queryable,
  p: DbProposal,
  reason: string,
  requestedBy: Actor,
  now: Date,
): Promise<DbProposal> {
  const closed = await updateProposal(
    tx,
    p.id,
    {
      state: 'rejected',
      closed_by_id: 'seam',
      closed_by_name: 'seam',
      closed_at: now,
      outcome_reason: reason,
    },
    now,
  );
  await deps.journal.write(tx, closed, 'rejected', requestedBy, { reason, by: 'seam' }, now);
  return closed;
}
