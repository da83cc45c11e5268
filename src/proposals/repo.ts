/** SQL for proposals. Transitions are conditional UPDATEs (`WHERE state = ...`): of two racing callers exactly one wins. */
import type { Queryable } from '../store/types.ts';
import type { DbApproval, DbProposal, ProposalState } from './types.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^(?:P-)?(\d{1,15})$/i;

/** A proposal by id or by its reference ("P-1042" or "1042"). */
export async function findProposal(
  db: Queryable,
  idOrRef: string,
  opts: { forUpdate?: boolean } = {},
): Promise<DbProposal | undefined> {
  const lock = opts.forUpdate ? ' FOR UPDATE' : '';
  if (UUID.test(idOrRef)) {
    const r = await db.query<DbProposal>(`SELECT * FROM proposals WHERE id = $1${lock}`, [idOrRef]);
    return r.rows[0];
  }
  const m = NUMBER.exec(idOrRef.trim());
  if (!m) return undefined;
  const r = await db.query<DbProposal>(`SELECT * FROM proposals WHERE number = $1${lock}`, [Number(m[1])]);
  return r.rows[0];
}

export async function approvalsOf(db: Queryable, ids: readonly string[]): Promise<Map<string, DbApproval[]>> {
  const out = new Map<string, DbApproval[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const r = await db.query<DbApproval>(
    'SELECT * FROM proposal_approvals WHERE proposal_id = ANY($1::uuid[]) ORDER BY step',
    [ids],
  );
  for (const a of r.rows) out.get(a.proposal_id)?.push(a);
  return out;
}

export async function findByIdempotencyKey(
  db: Queryable,
  proposerId: string,
  key: string,
): Promise<DbProposal | undefined> {
  const r = await db.query<DbProposal>(
    'SELECT * FROM proposals WHERE proposer_id = $1 AND idempotency_key = $2',
    [proposerId, key],
  );
  return r.rows[0];
}

/** An open proposal asking for exactly the same thing (same type, target and input). */
export async function findOpenDuplicate(
  db: Queryable,
  p: { system: string; type: string; targetKey: string; input: Record<string, unknown> },
): Promise<DbProposal | undefined> {
  const r = await db.query<DbProposal>(
    `SELECT * FROM proposals
      WHERE system = $1 AND type = $2 AND target_key = $3 AND input = $4::jsonb
        AND state IN ('pending_approval', 'queued', 'claimed')
      ORDER BY created_at LIMIT 1`,
    [p.system, p.type, p.targetKey, JSON.stringify(p.input)],
  );
  return r.rows[0];
}

export interface NewProposalRow {
  id: string;
  system: string;
  type: string;
  resource: string;
  targetKey: string;
  input: Record<string, unknown>;
  reason: string;
  state: ProposalState;
  proposer: { kind: 'agent' | 'human' | 'system'; id: string; name: string };
  idempotencyKey: string;
  requestHash: string;
  baseVersion: number;
  baseRecord: Record<string, unknown>;
  impact: { amount: string; currency: string; summary: string };
  expected: Record<string, unknown>;
  instructions: unknown[];
  reversible: boolean;
  irreversibleReason: string | null;
  route: unknown;
  approvalDueAt: Date | null;
  executeDueAt: Date | null;
  queuedAt: Date | null;
  reverses: string | null;
  now: Date;
}

/** Insert, or nothing when the proposer already used this idempotency key (a racing retry). */
export async function insertProposal(db: Queryable, p: NewProposalRow): Promise<DbProposal | undefined> {
  const r = await db.query<DbProposal>(
    `INSERT INTO proposals (id, system, type, resource, target_key, input, reason, state, proposer_kind,
        proposer_id, proposer_name, idempotency_key, request_hash, base_version, base_record,
        impact_amount, impact_currency, impact_summary, expected, instructions, reversible,
        irreversible_reason, route, approval_due_at, execute_due_at, queued_at, reverses, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
        $21, $22, $23, $24, $25, $26, $27, $28, $28)
     ON CONFLICT (proposer_id, idempotency_key) DO NOTHING
     RETURNING *`,
    [
      p.id,
      p.system,
      p.type,
      p.resource,
      p.targetKey,
      JSON.stringify(p.input),
      p.reason,
      p.state,
      p.proposer.kind,
      p.proposer.id,
      p.proposer.name,
      p.idempotencyKey,
      p.requestHash,
      p.baseVersion,
      JSON.stringify(p.baseRecord),
      p.impact.amount,
      p.impact.currency,
      p.impact.summary,
      JSON.stringify(p.expected),
      JSON.stringify(p.instructions),
      p.reversible,
      p.irreversibleReason,
      JSON.stringify(p.route),
      p.approvalDueAt,
      p.executeDueAt,
      p.queuedAt,
      p.reverses,
      p.now,
    ],
  );
  return r.rows[0];
}

/**
 * Move a proposal from one of `from` to `to`, setting columns, only if it is still in one of `from`
 * (and any extra condition holds). Returns the updated row, or undefined when another caller got
 * there first or the condition failed: the caller then explains why from a fresh read.
 */
export async function transition(
  db: Queryable,
  id: string,
  from: readonly ProposalState[],
  to: ProposalState,
  set: Record<string, unknown>,
  opts: { now: Date; where?: string; whereParams?: unknown[] },
): Promise<DbProposal | undefined> {
  const cols = Object.keys(set);
  const params: unknown[] = [id, from, to, opts.now, ...cols.map((c) => jsonParam(set[c]))];
  const assignments = cols.map((c, i) => `${safeColumn(c)} = $${i + 5}`);
  let where = '';
  if (opts.where) {
    // Renumber the extra condition's $1.. after ours.
    const offset = params.length;
    where = ' AND ' + opts.where.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`);
    params.push(...(opts.whereParams ?? []));
  }
  const r = await db.query<DbProposal>(
    `UPDATE proposals SET state = $3, updated_at = $4${assignments.length ? ', ' + assignments.join(', ') : ''}
      WHERE id = $1 AND state = ANY($2::text[])${where}
      RETURNING *`,
    params,
  );
  return r.rows[0];
}

/** Set columns without a state change (flags, verification results). */
export async function updateProposal(
  db: Queryable,
  id: string,
  set: Record<string, unknown>,
  now: Date,
): Promise<DbProposal> {
  const cols = Object.keys(set);
  const assignments = ['updated_at = $2', ...cols.map((c, i) => `${safeColumn(c)} = $${i + 3}`)];
  const r = await db.query<DbProposal>(
    `UPDATE proposals SET ${assignments.join(', ')} WHERE id = $1 RETURNING *`,
    [id, now, ...cols.map((c) => jsonParam(set[c]))],
  );
  return r.rows[0]!;
}

function safeColumn(c: string): string {
  if (!/^[a-z_]+$/.test(c)) throw new Error(`Not a proposals column: ${c}`);
  return c;
}

/** Plain objects and arrays go to jsonb as JSON text; dates and scalars as they are. */
function jsonParam(v: unknown): unknown {
  if (v === null || v === undefined || v instanceof Date || typeof v !== 'object') return v ?? null;
  return JSON.stringify(v);
}

/** The condition "the target record is still at the version the proposal was based on". */
export const SAME_VERSION = `base_version = (SELECT r.version FROM records r
  WHERE r.system = proposals.system AND r.resource = proposals.resource AND r.key = proposals.target_key
    AND r.deleted_at IS NULL)`;

export interface ListFilter {
  state?: ProposalState[];
  type?: string;
  target?: string;
  proposerId?: string;
  stale?: boolean;
  before?: number;
  limit: number;
}

/** The WHERE clause (and its parameters) of a list filter. */
function conditions(f: Omit<ListFilter, 'limit'>): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.state?.length) add('state = ANY(?::text[])', f.state);
  if (f.type) add('type = ?', f.type);
  if (f.target) {
    // `accounts/004471`, `accounts/4471` or just the key: leading zeros of a numeric key are
    // optional, as people type them (the audit search matches the same way).
    const slash = f.target.indexOf('/');
    if (slash > 0) add('resource = ?', f.target.slice(0, slash));
    const key = slash > 0 ? f.target.slice(slash + 1) : f.target;
    if (/^\d+$/.test(key)) add("ltrim(target_key, '0') = ltrim(?, '0')", key);
    else add('target_key = ?', key);
  }
  if (f.proposerId) add('proposer_id = ?', f.proposerId);
  if (f.stale !== undefined) add('stale = ?', f.stale);
  if (f.before !== undefined) add('number < ?', f.before);
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** Newest first, paged by number (`before` = the last number of the previous page). */
export async function listProposals(db: Queryable, f: ListFilter): Promise<DbProposal[]> {
  const { where, params } = conditions(f);
  params.push(f.limit);
  const r = await db.query<DbProposal>(
    `SELECT * FROM proposals ${where} ORDER BY number DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows;
}

/** How many proposals each state holds, under the same filter as a list (states with none left out). */
export async function countProposals(
  db: Queryable,
  f: Omit<ListFilter, 'limit' | 'state' | 'before'>,
): Promise<Record<string, number>> {
  const { where, params } = conditions(f);
  const r = await db.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM proposals ${where} GROUP BY state`,
    params,
  );
  return Object.fromEntries(r.rows.map((x) => [x.state, x.n]));
}
