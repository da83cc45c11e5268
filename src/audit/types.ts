/**
 * The audit trail's shapes. Words: an *entry* is one recorded action; the *chain* is the entries in
 * `seq` order, each hash covering its content and the previous entry's hash.
 */
import { z } from 'zod';

export type ActorKind = 'agent' | 'human' | 'system';

export interface Actor {
  kind: ActorKind;
  /** Key id for agents, user id for humans, a stable name for system actors (`cli`, `ingest`). */
  id: string;
  name: string;
}

/** What an area hands to `audit.record(...)`. */
export interface AuditEntryInput {
  /** Who acted: a Principal works as is; system work uses e.g. `{ kind: 'system', id: 'ingest', name: 'ingest' }`. */
  actor: Actor;
  /** Dotted verb for area actions (`proposal.approve`, `key.create`, `kill.on`); `GET /v1/x/:id` for requests. */
  action: string;
  /** Records touched, `resource/key`: `accounts/004471`, `proposals/<id>`, `keys/<id>`. */
  records?: readonly string[];
  /** The input. Credential-like and registered personal-data fields are masked before it is stored. */
  input?: unknown;
  /** Defaults to `allowed`. */
  decision?: 'allowed' | 'denied';
  /** Why it was denied (a stable code), or a short note. */
  reason?: string;
  /** HTTP status for requests; optional for area actions. */
  status?: number;
  /** A small description of the outcome (masked like input). */
  result?: unknown;
  requestId?: string;
  /** When it happened; defaults to now. */
  at?: Date;
}

/** An entry ready to be chained: masked, time fixed. */
export interface PreparedEntry {
  at: Date;
  actorKind: ActorKind;
  actorId: string;
  actorName: string;
  action: string;
  records: string[];
  input: unknown;
  decision: 'allowed' | 'denied';
  reason: string | null;
  status: number | null;
  result: unknown;
  requestId: string | null;
}

export interface DbAuditRow {
  seq: number;
  at: Date;
  actor_kind: ActorKind;
  actor_id: string;
  actor_name: string;
  action: string;
  records: string[];
  input: unknown;
  decision: 'allowed' | 'denied';
  reason: string | null;
  status: number | null;
  result: unknown;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export const AuditEntry = z
  .object({
    seq: z.number().int(),
    at: z.string().meta({ description: 'ISO 8601 UTC' }),
    actor: z.object({ kind: z.enum(['agent', 'human', 'system']), id: z.string(), name: z.string() }),
    action: z.string(),
    records: z.array(z.string()),
    input: z.unknown().nullable(),
    decision: z.enum(['allowed', 'denied']),
    reason: z.string().nullable(),
    status: z.number().int().nullable(),
    result: z.unknown().nullable(),
    requestId: z.string().nullable(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntry>;

export function auditEntry(r: DbAuditRow): AuditEntry {
  return {
    seq: r.seq,
    at: r.at.toISOString(),
    actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name },
    action: r.action,
    records: r.records,
    input: r.input ?? null,
    decision: r.decision,
    reason: r.reason,
    status: r.status,
    result: r.result ?? null,
    requestId: r.request_id,
    hash: r.hash,
  };
}
