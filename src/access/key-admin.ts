/**
 * Managing agent keys: list, revoke, rotate. Rotation makes a new key with the same name, scopes
 * and rate limit and lets the old one live on for an overlap period (default a day), so an agent
 * can switch without a moment where neither key works.
 */
import { z } from 'zod';
import { Problem } from '../http/problem.ts';
import type { Queryable } from '../store/types.ts';
import { announceAccessChange } from './changes.ts';
import { createKey, keyInfo, type ApiKeyInfo, type DbApiKey } from './keys.ts';

export const DEFAULT_OVERLAP_MS = 24 * 3_600_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    rateLimitPerMinute: z.number().int().nullable(),
    createdAt: z.string(),
    createdBy: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

function noSuchKey(idOrName: string): Problem {
  return new Problem({ status: 404, code: 'key_not_found', title: 'No such key', detail: idOrName });
}

export async function listKeys(
  db: Queryable,
  opts: { includeInactive?: boolean } = {},
): Promise<ApiKeyInfo[]> {
  const r = await db.query<DbApiKey>(
    opts.includeInactive
      ? 'SELECT * FROM api_keys ORDER BY name, created_at'
      : `SELECT * FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
          ORDER BY name, created_at`,
  );
  return r.rows.map(keyInfo);
}

/** Active keys matching an id, or every active key with that name. */
export async function findActiveKeys(db: Queryable, idOrName: string): Promise<DbApiKey[]> {
  const r = await db.query<DbApiKey>(
    `SELECT * FROM api_keys
      WHERE ${UUID.test(idOrName) ? 'id = $1::uuid' : 'name = $1'}
        AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
      ORDER BY created_at`,
    [idOrName],
  );
  return r.rows;
}

/** Revoke a key by id, or every active key of a name. Returns the revoked keys (none: 404). */
export async function revokeKey(db: Queryable, idOrName: string, by: string): Promise<ApiKeyInfo[]> {
  const keys = await findActiveKeys(db, idOrName);
  if (keys.length === 0) throw noSuchKey(idOrName);
  const r = await db.query<DbApiKey>(
    `UPDATE api_keys SET revoked_at = now(), revoked_by = $2
      WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL RETURNING *`,
    [keys.map((k) => k.id), by],
  );
  await announceAccessChange(db);
  return r.rows.map(keyInfo);
}

/**
 * Rotate: a new key like the newest active one of that id or name; the old key(s) now expire at
 * now + overlap (or earlier, if they already expired sooner).
 */
export async function rotateKey(
  db: Queryable,
  idOrName: string,
  by: string,
  opts: { overlapMs?: number; expiresAt?: Date } = {},
): Promise<{ key: string; info: ApiKeyInfo; old: ApiKeyInfo[] }> {
  const keys = await findActiveKeys(db, idOrName);
  const newest = keys.at(-1);
  if (!newest) throw noSuchKey(idOrName);
  const overlapMs = opts.overlapMs ?? DEFAULT_OVERLAP_MS;
  const created = await createKey(
    db,
    {
      name: newest.name,
      scopes: newest.scopes,
      ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}),
      ...(newest.rate_limit_per_minute ? { rateLimitPerMinute: newest.rate_limit_per_minute } : {}),
    },
    by,
  );
  await db.query('UPDATE api_keys SET rotated_from = $2 WHERE id = $1', [created.info.id, newest.id]);
  const old = await db.query<DbApiKey>(
    `UPDATE api_keys
        SET expires_at = LEAST(coalesce(expires_at, 'infinity'::timestamptz), now() + $2 * interval '1 millisecond')
      WHERE id = ANY($1::uuid[]) RETURNING *`,
    [keys.map((k) => k.id), overlapMs],
  );
  await announceAccessChange(db);
  return { key: created.key, info: created.info, old: old.rows.map(keyInfo) };
}
