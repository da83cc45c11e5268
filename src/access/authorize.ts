/**
 * Resolve the caller of a request and check the route's AccessRule. Every refusal for a bad key is
 * the same 401, whatever was wrong (missing, malformed, bad checksum, unknown, expired, revoked),
 * so a caller learns nothing about which keys exist.
 */
import type { Request } from 'express';
import { Problem } from '../http/problem.ts';
import type { Store } from '../store/types.ts';
import { findKey, isWellFormedKey, type DbApiKey } from './keys.ts';
import { isSessionToken, SESSION_COOKIE, type SessionResolver } from './sessions.ts';
import type { AccessRule, Authorizer, Principal } from './types.ts';

/** How long a resolved key is trusted before it is looked up again (bounds revocation delay). */
export const KEY_CACHE_MS = 1000;

export const unauthorized = () =>
  new Problem({
    status: 401,
    code: 'unauthorized',
    title: 'Unauthorized',
    detail: 'A valid API key or session is required (Authorization: Bearer <key>).',
    headers: { 'WWW-Authenticate': 'Bearer realm="seam"' },
  });

export const forbidden = (detail: string) =>
  new Problem({ status: 403, code: 'forbidden', title: 'Forbidden', detail });

/** The key presented with a request, from `Authorization: Bearer` or `X-Api-Key`. */
export function presentedKey(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : '';
  }
  const x = req.headers['x-api-key'];
  return typeof x === 'string' ? x : undefined;
}

/** The session token of a signed-in human: a `seam_hs_` bearer token, or the console's cookie. */
export function presentedCredential(req: Request): string | undefined {
  const key = presentedKey(req);
  if (key !== undefined) return key;
  return cookie(req, SESSION_COOKIE);
}

function cookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function agentPrincipal(k: DbApiKey): Principal {
  return {
    kind: 'agent',
    id: k.id,
    name: k.name,
    scopes: k.scopes,
    roles: [],
    ...(k.rate_limit_per_minute ? { rateLimitPerMinute: k.rate_limit_per_minute } : {}),
  };
}

/** Does the principal satisfy the rule? (Pure; no I/O.) */
export function allows(principal: Principal, rule: AccessRule, req: Request): boolean {
  if ('public' in rule) return true;
  if ('anyOf' in rule) return rule.anyOf.some((r) => allows(principal, r, req));
  if ('roles' in rule)
    return principal.kind === 'human' && principal.roles.some((r) => rule.roles.includes(r));
  const scope = typeof rule.scope === 'function' ? rule.scope(req) : rule.scope;
  return principal.scopes.includes(scope);
}

export function ruleNeedsHuman(rule: AccessRule): boolean {
  if ('roles' in rule) return true;
  if ('anyOf' in rule) return rule.anyOf.every(ruleNeedsHuman);
  return false;
}

/** Note when a key was last used, at most once a minute per key (cheap: runs on cache misses only). */
async function touchLastUsed(store: Store, id: string): Promise<void> {
  await store
    .query(
      `UPDATE api_keys SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    )
    .catch(() => undefined);
}

export interface KeyResolver {
  resolve(key: string): Promise<Principal | undefined>;
  /** Forget cached keys (after a revoke in this process). */
  clear(): void;
}

export function keyResolver(store: Store, now: () => number = Date.now): KeyResolver {
  const cache = new Map<
    string,
    { principal: Principal | undefined; until: number; expiresAt: number | null }
  >();
  // Look-ups in flight: requests presenting the same key while it is being looked up share one.
  const loading = new Map<string, Promise<Principal | undefined>>();
  const load = async (key: string, t: number): Promise<Principal | undefined> => {
    const row = await findKey(store, key);
    const valid =
      row !== undefined &&
      row.revoked_at === null &&
      (row.expires_at === null || row.expires_at.getTime() > t);
    const principal = valid ? agentPrincipal(row) : undefined;
    if (valid) void touchLastUsed(store, row.id);
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { principal, until: t + KEY_CACHE_MS, expiresAt: row?.expires_at?.getTime() ?? null });
    return principal;
  };
  return {
    resolve(key) {
      const t = now();
      // Only well-formed keys are ever cached, so a hit needs no shape check.
      const hit = cache.get(key);
      if (hit && hit.until > t && (hit.expiresAt === null || hit.expiresAt > t))
        return Promise.resolve(hit.principal);
      if (!isWellFormedKey(key)) return Promise.resolve(undefined);
      let p = loading.get(key);
      if (!p) {
        p = load(key, t).finally(() => loading.delete(key));
        loading.set(key, p);
      }
      return p;
    },
    clear() {
      cache.clear();
      loading.clear();
    },
  };
}

/** Resolve whoever presented a credential (agent key or human session); undefined when none is valid. */
export async function resolvePrincipal(
  req: Request,
  keys: KeyResolver,
  sessions: SessionResolver,
): Promise<Principal | undefined> {
  const token = presentedCredential(req);
  if (!token) return undefined;
  return isSessionToken(token) ? sessions.resolve(token) : keys.resolve(token);
}

/** Why the rule refuses this principal (403 detail), or undefined when it allows. */
export function refusal(principal: Principal, rule: AccessRule, req: Request): string | undefined {
  if (allows(principal, rule, req)) return undefined;
  if (principal.kind === 'agent' && ruleNeedsHuman(rule))
    return 'This route is for signed-in humans, not agent keys.';
  if (principal.kind === 'agent') return 'This key does not have the scope this request needs.';
  return 'Your roles do not allow this request.';
}

/** An Authorizer for agent keys; the access module composes it with human sessions and limits. */
export function keyAuthorizer(resolver: KeyResolver): Authorizer {
  return async (req, rule) => {
    if ('public' in rule) return undefined;
    const key = presentedKey(req);
    if (!key) throw unauthorized();
    const principal = await resolver.resolve(key);
    if (!principal) throw unauthorized();
    if (!allows(principal, rule, req))
      throw forbidden('This key does not have the scope this request needs.');
    return principal;
  };
}
