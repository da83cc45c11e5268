/**
 * Field-level redaction: fields an adapter marks as personal data are masked unless the caller holds
 * `pii:<field>` (or `pii:*`). The same function serves REST, events and MCP so the rule cannot drift.
 */
import type { Principal } from './types.ts';

export const REDACTED = '[REDACTED]';

export function canSeeField(principal: Pick<Principal, 'scopes'> | undefined, field: string): boolean {
  if (!principal) return false;
  return principal.scopes.includes(`pii:${field}`) || principal.scopes.includes('pii:*');
}

/** A copy of `record` with every sensitive field the caller may not see replaced by REDACTED. */
export function redactRecord<T extends Record<string, unknown>>(
  record: T,
  sensitive: readonly string[],
  principal: Pick<Principal, 'scopes'> | undefined,
): T {
  let out: Record<string, unknown> | undefined;
  for (const f of sensitive) {
    if (record[f] === undefined || record[f] === null || canSeeField(principal, f)) continue;
    out ??= { ...record };
    out[f] = REDACTED;
  }
  return (out ?? record) as T;
}
