/**
 * Events carry records (`data.record`, `data.before`) and changed fields (`data.changes`), so they
 * carry personal data. The feed, SSE and webhooks mask it with the same rule as REST
 * (src/access/redact.ts): a sensitive field is shown only to a caller holding `pii:<field>`.
 *
 * Which fields are sensitive is the adapter's knowledge; the events area asks through a
 * SensitiveFields lookup. When a resource is unknown to the lookup, seam fails closed: the whole
 * record payload is withheld unless the caller holds `pii:*`.
 */
import { canSeeField, REDACTED, redactRecord } from '../access/redact.ts';
import type { Principal } from '../access/types.ts';
import type { SeamEvent } from './types.ts';

/** The sensitive fields of one resource of one system, or undefined when the resource is unknown. */
export type SensitiveFields = (system: string, resource: string) => readonly string[] | undefined;

type Caller = Pick<Principal, 'scopes'> | undefined;

const RECORD_KEYS = ['record', 'before', 'changes'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy of the event with what the caller may not see masked; the same object when nothing is. */
export function redactEvent(event: SeamEvent, fieldsFor: SensitiveFields, caller: Caller): SeamEvent {
  const data = event.data;
  if (!RECORD_KEYS.some((k) => k in data)) return event;
  const system = typeof data.system === 'string' ? data.system : '';
  const resource = typeof data.resource === 'string' ? data.resource : '';
  const sensitive = fieldsFor(system, resource);
  if (sensitive === undefined) {
    if (caller?.scopes.includes('pii:*')) return event;
    const out: Record<string, unknown> = { ...data };
    for (const k of RECORD_KEYS) if (k in out) out[k] = REDACTED;
    return { ...event, data: out };
  }
  if (sensitive.length === 0) return event;
  let out: Record<string, unknown> | undefined;
  for (const k of ['record', 'before'] as const) {
    const rec = data[k];
    if (!isObject(rec)) continue;
    const masked = redactRecord(rec, sensitive, caller);
    if (masked !== rec) (out ??= { ...data })[k] = masked;
  }
  const changes = data.changes;
  if (isObject(changes)) {
    let masked: Record<string, unknown> | undefined;
    for (const f of sensitive) {
      if (!(f in changes) || canSeeField(caller, f)) continue;
      (masked ??= { ...changes })[f] = { before: REDACTED, after: REDACTED };
    }
    if (masked) (out ??= { ...data }).changes = masked;
  }
  return out ? { ...event, data: out } : event;
}
