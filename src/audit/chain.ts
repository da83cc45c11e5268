/**
 * The hash chain: hash(n) = sha256(hash(n-1) + "\n" + canonical JSON of entry n's content).
 * Canonical JSON (src/canonical.ts) sorts object keys at every depth, so the value read back from
 * jsonb (which reorders keys) hashes the same as the value written.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical.ts';
import type { DbAuditRow, PreparedEntry } from './types.ts';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The hashed content of entry `seq`: canonicalJson({ seq, at, actor: [kind, id, name], action,
 * records, input, decision, reason, status, result, requestId }), written out directly in that
 * object's sorted key order (one hash per request, so no object and no sort per entry).
 */
export function entryContent(seq: number, e: PreparedEntry): string {
  // As canonicalJson, a field whose value is undefined is left out (rows read back have none).
  const f = (k: string, v: unknown) => (v === undefined ? '' : `,"${k}":${canonicalJson(v)}`);
  const body =
    f('action', e.action) +
    f('actor', [e.actorKind, e.actorId, e.actorName]) +
    f('at', e.at.toISOString()) +
    f('decision', e.decision) +
    f('input', e.input) +
    f('reason', e.reason) +
    f('records', e.records) +
    f('requestId', e.requestId) +
    f('result', e.result) +
    f('seq', seq) +
    f('status', e.status);
  return `{${body.slice(1)}}`;
}

export function entryHash(prevHash: string, seq: number, e: PreparedEntry): string {
  return createHash('sha256').update(prevHash).update('\n').update(entryContent(seq, e)).digest('hex');
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
