/**
 * The proposals service other areas (routes, CLI, console, MCP) use: every workflow step, the API
 * shape of a proposal, the mode and its switches, the report and the rollback plan. Background
 * work (verification, gated-write, sweeps) is nudged through `kick` after each step that may need it.
 */
import type { Principal } from '../access/types.ts';
import { appendEvents } from '../events/append.ts';
import type { Queryable } from '../store/types.ts';
import type { ProposalDeps } from './deps.ts';
import { actorOf } from './deps.ts';
import { proposalProblems as P } from './errors.ts';
import type { AuditSink } from './journal.ts';
import { MODES, readMode, writeGatedType, writeMode, type Mode, type ModeState } from './mode.ts';
import { claim, execute, fail, release, type ExecuteInput } from './operate.ts';
import { approvalsOf, countProposals, findProposal, listProposals, type ListFilter } from './repo.ts';
import { proposalReport, type ProposalReport } from './report.ts';
import { approve, reject } from './review.ts';
import { planRollback, type RollbackPlan } from './rollback.ts';
import { propose, recheck, type Proposer, type ProposeRequest, type RecheckOutcome } from './submit.ts';
import { toProposal, type Actor, type DbProposal, type Proposal } from './types.ts';
import { verifyProposal } from './verify.ts';

export type Viewer = Pick<Principal, 'kind' | 'id'> | undefined;

export interface ProposalService {
  readonly deps: ProposalDeps;
  propose(
    who: Proposer,
    req: ProposeRequest,
    idempotencyKey: string,
  ): Promise<{ created: boolean; proposal: Proposal }>;
  get(idOrRef: string, viewer?: Viewer): Promise<Proposal>;
  list(filter: Omit<ListFilter, 'proposerId'>, viewer?: Viewer): Promise<Proposal[]>;
  /** Proposals per state under the same filter as `list` (agents: their own). */
  counts(filter: { type?: string; target?: string }, viewer?: Viewer): Promise<Record<string, number>>;
  approve(principal: Principal, idOrRef: string, note?: string): Promise<Proposal>;
  reject(principal: Principal, idOrRef: string, reason: string): Promise<Proposal>;
  recheck(principal: Principal, idOrRef: string): Promise<{ outcome: RecheckOutcome; proposal: Proposal }>;
  claim(principal: Principal, idOrRef: string): Promise<Proposal>;
  release(principal: Principal, idOrRef: string, reason?: string): Promise<Proposal>;
  execute(principal: Principal, idOrRef: string, body: ExecuteInput): Promise<Proposal>;
  fail(principal: Principal, idOrRef: string, reason: string): Promise<Proposal>;
  /** Check the system of record now (a live read), whatever the schedule says. */
  verify(idOrRef: string): Promise<Proposal>;
  report(opts: { from?: Date; to?: Date }): Promise<ProposalReport>;
  rollback(who: Proposer, opts: { since: string; outDir: string }): Promise<RollbackPlan>;
  mode(): Promise<ModeState>;
  setMode(actor: Actor, mode: Mode): Promise<ModeState>;
  setGatedWrite(actor: Actor, type: string, enabled: boolean): Promise<ModeState>;
  /** Nudge background work (verification, gated-write); set by the module when it runs. */
  kick(what: 'verify' | 'gated' | 'stale'): void;
  onKick(fn: (what: 'verify' | 'gated' | 'stale') => void): void;
}

export function createProposalService(deps: ProposalDeps, audit: AuditSink): ProposalService {
  const kickers: ((what: 'verify' | 'gated' | 'stale') => void)[] = [];
  const kick = (what: 'verify' | 'gated' | 'stale') => kickers.forEach((k) => k(what));
  const shape = async (rows: DbProposal[]): Promise<Proposal[]> => {
    const approvals = await approvalsOf(
      deps.store,
      rows.map((r) => r.id),
    );
    return rows.map((r) =>
      toProposal(r, approvals.get(r.id) ?? [], deps.catalog.get(r.type)?.def.title ?? r.type),
    );
  };
  const one = async (p: DbProposal) => (await shape([p]))[0]!;
  const after = async (p: DbProposal) => {
    if (p.state === 'queued') kick('gated');
    if (p.state === 'executed') kick('verify');
    return one(p);
  };

  const recordModeChange = async (
    actor: Actor,
    what: Record<string, unknown>,
    write: (tx: Queryable) => Promise<void>,
  ) => {
    const now = deps.now();
    await deps.store.transaction(async (tx) => {
      await write(tx);
      await appendEvents(tx, [
        {
          source: 'seam/mode',
          type: 'seam.mode.changed',
          subject: 'mode',
          time: now,
          data: { ...what, actor },
          aggregateType: 'mode',
          aggregateId: 'mode',
        },
      ]);
      await audit.record(tx, { actor, action: 'mode.change', records: ['mode'], input: what, at: now });
    });
    deps.log.warn({ actor: actor.name, ...what }, 'seam mode changed');
  };

  const service: ProposalService = {
    deps,
    async propose(who, req, key) {
      const r = await propose(deps, who, req, key);
      return { created: r.created, proposal: r.created ? await after(r.proposal) : await one(r.proposal) };
    },
    async get(idOrRef, viewer) {
      const p = await findProposal(deps.store, idOrRef);
      // Agents see only their own proposals; others' are "not found", not "forbidden".
      if (!p || (viewer?.kind === 'agent' && p.proposer_id !== viewer.id)) throw P.notFound(idOrRef);
      return one(p);
    },
    async list(filter, viewer) {
      const rows = await listProposals(deps.store, {
        ...filter,
        ...(viewer?.kind === 'agent' ? { proposerId: viewer.id } : {}),
      });
      return shape(rows);
    },
    counts: (filter, viewer) =>
      countProposals(deps.store, {
        ...filter,
        ...(viewer?.kind === 'agent' ? { proposerId: viewer.id } : {}),
      }),
    approve: async (pr, id, note) => after(await approve(deps, pr, id, note)),
    reject: async (pr, id, reason) => one(await reject(deps, pr, id, reason)),
    async recheck(pr, id) {
      const r = await recheck(deps, pr, id);
      return { outcome: r.outcome, proposal: await after(r.proposal) };
    },
    claim: async (pr, id) => one(await claim(deps, pr, id)),
    release: async (pr, id, reason) => after(await release(deps, pr, id, reason)),
    execute: async (pr, id, body) => after(await execute(deps, pr, id, body)),
    fail: async (pr, id, reason) => one(await fail(deps, pr, id, reason)),
    async verify(idOrRef) {
      const p = await findProposal(deps.store, idOrRef);
      if (!p) throw P.notFound(idOrRef);
      if (!['executed', 'verified', 'mismatch'].includes(p.state))
        throw P.invalidState(p, 'verified before it is carried out');
      return one((await verifyProposal(deps, p.id, { live: true }))!);
    },
    report: (opts) => proposalReport(deps.store, deps.catalog, { ...opts, to: opts.to ?? deps.now() }),
    rollback: (who, opts) => planRollback(deps, who, opts),
    mode: () => readMode(deps.store, { goLive: deps.goLive, now: deps.now() }),
    async setMode(actor, mode) {
      if (!MODES.includes(mode)) throw new Error(`unknown mode ${String(mode)}`);
      const cur = await service.mode();
      if (mode === 'gated-write' && !cur.gatedWriteAllowed) throw P.tooEarly(cur.day, cur.of);
      if (cur.mode !== mode)
        await recordModeChange(actor, { mode, from: cur.mode }, (tx) =>
          writeMode(tx, mode, actor.name, deps.now()),
        );
      if (mode === 'gated-write') kick('gated');
      return service.mode();
    },
    async setGatedWrite(actor, type, enabled) {
      const entry = deps.catalog.get(type);
      if (!entry) throw P.unknownType(type, deps.catalog.ids());
      const cur = await service.mode();
      if (enabled && !cur.gatedWriteAllowed) throw P.tooEarly(cur.day, cur.of);
      if (enabled && !entry.def.write) throw P.noWriteOperation(type);
      const already = cur.gatedTypes.some((g) => g.type === type);
      if (already !== enabled)
        await recordModeChange(actor, { gatedWrite: { type, enabled } }, (tx) =>
          writeGatedType(tx, type, enabled, actor.name, deps.now()),
        );
      if (enabled) kick('gated');
      return service.mode();
    },
    kick,
    onKick: (fn) => void kickers.push(fn),
  };
  return service;
}

export { actorOf };
