/**
 * The hash chain: hash(n) = sha256(hash(n-1) + "\n" + canonical JSON of entry n's content).
 * Canonical JSON sorts object keys at every depth, so the value read back from jsonb (which reorders
 * keys) hashes the same as the value written.
 */
import { createHash } from 'node:crypto';
import type { DbAuditRow, PreparedEntry } from './types.ts';

export const GENESIS_HASH = '0'.repeat(64);

export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function entryHash(prevHash: string, seq: number, e: PreparedEntry): string {
  const content = canonicalJson({
    seq,
    at: e.at.toISOString(),
    actor: [e.actorKind, e.actorId, e.actorName],
    action: e.action,
    records: e.records,
    input: e.input,
    decision: e.decision,
    reason: e.reason,
    status: e.status,
    result: e.result,
    requestId: e.requestId,
  });
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

export function preparedFromRow(r: DbAuditRow): PreparedEntry {
  return {
    at: r.at,
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    records: r.records,
    input: r.input ?? null,
    decision: r.decision,
    reason: r.reason,
    status: r.status,
    result: r.result ?? null,
    requestId: r.request_id,
  };
}
