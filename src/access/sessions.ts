/**
 * Human sign-in. A session token is `seam_hs_` + the same checksummed body as an agent key; only its
 * sha256 is stored, it expires (SEAM_SESSION_TTL_HOURS), and it ends on logout, on disabling the
 * user, or on a password change. Sent as `Authorization: Bearer seam_hs_...` or as the
 * `seam_session` cookie (the console).
 */
import type { Store, Queryable } from '../store/types.ts';
import { announceAccessChange } from './changes.ts';
import { generateToken, hashKey, isWellFormedToken } from './keys.ts';
import { dummyPasswordHash, verifyPassword, MAX_PASSWORD_LENGTH } from './password.ts';
import type { HumanRole, Principal } from './types.ts';
import { findUser, userInfo, type DbUser, type User } from './users.ts';

export const SESSION_PREFIX = 'seam_hs_';
export const SESSION_COOKIE = 'seam_session';
/** How long a resolved session is trusted before it is looked up again (bounds logout delay). */
export const SESSION_CACHE_MS = 1000;

export function isSessionToken(token: string): boolean {
  return token.startsWith(SESSION_PREFIX);
}

export async function createSession(
  db: Queryable,
  userId: string,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const token = generateToken(SESSION_PREFIX);
  const expiresAt = new Date(Date.now() + ttlMs);
  await db.query('INSERT INTO user_sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
    hashKey(token),
    userId,
    expiresAt,
  ]);
  return { token, expiresAt };
}

/**
 * Check a name and password; a session when they match an enabled user. Every failure (unknown
 * name, wrong password, disabled user) is the same `undefined` and costs the same scrypt work.
 */
export async function login(
  db: Queryable,
  name: string,
  password: string,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date; user: User } | undefined> {
  if (password.length > MAX_PASSWORD_LENGTH || name.length > 200) return undefined;
  const u = await findUser(db, name).catch(() => undefined);
  const ok = await verifyPassword(password, u?.password_hash ?? (await dummyPasswordHash()));
  if (!u || !ok || u.disabled_at) return undefined;
  const s = await createSession(db, u.id, ttlMs);
  return { ...s, user: userInfo(u) };
}

export async function revokeSession(db: Queryable, token: string): Promise<void> {
  await db.query('UPDATE user_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL', [
    hashKey(token),
  ]);
  await announceAccessChange(db);
}

export function humanPrincipal(u: Pick<DbUser, 'id' | 'name' | 'roles'>): Principal {
  return { kind: 'human', id: u.id, name: u.name, scopes: [], roles: u.roles as HumanRole[] };
}

export interface SessionResolver {
  resolve(token: string): Promise<Principal | undefined>;
  clear(): void;
}

export function sessionResolver(store: Store, now: () => number = Date.now): SessionResolver {
  const cache = new Map<string, { principal: Principal | undefined; until: number }>();
  return {
    async resolve(token) {
      if (!isWellFormedToken(token, SESSION_PREFIX)) return undefined;
      const t = now();
      const hit = cache.get(token);
      if (hit && hit.until > t) return hit.principal;
      const r = await store.query<DbUser & { expires_at: Date }>(
        `SELECT u.*, s.expires_at FROM user_sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND u.disabled_at IS NULL`,
        [hashKey(token)],
      );
      const row = r.rows[0];
      const valid = row !== undefined && row.expires_at.getTime() > t;
      const principal = valid ? humanPrincipal(row) : undefined;
      if (cache.size > 10_000) cache.clear();
      // Never trust a cached session past its own expiry.
      const until = Math.min(t + SESSION_CACHE_MS, row?.expires_at.getTime() ?? Infinity);
      cache.set(token, { principal, until });
      return principal;
    },
    clear() {
      cache.clear();
    },
  };
}
