/**
 * Deliveries act for the agent key that registered the webhook: each batch is redacted with that
 * key's scopes as they are now, and a revoked or expired key's webhooks stop (they are parked).
 * Reads the access area's `api_keys` table by key id (the access area's resolver only looks keys up
 * by their secret, which seam does not keep).
 */
import type { Queryable } from '../../store/types.ts';

export interface OwnerState {
  valid: boolean;
  scopes: string[];
}

export async function ownerState(db: Queryable, ownerId: string): Promise<OwnerState> {
  const r = await db.query<{ scopes: string[]; revoked_at: Date | null; expires_at: Date | null }>(
    'SELECT scopes, revoked_at, expires_at FROM api_keys WHERE id::text = $1',
    [ownerId],
  );
  const row = r.rows[0];
  if (!row) return { valid: false, scopes: [] };
  const valid = row.revoked_at === null && (row.expires_at === null || row.expires_at.getTime() > Date.now());
  return { valid, scopes: row.scopes };
}
