/**
 * The authorizer every route goes through (composed by the access module):
 *   public rule → pass; otherwise resolve the caller (agent key or human session) → uniform 401;
 *   agents: kill switch (403 agent_access_suspended) and rate limits (429 + Retry-After);
 *   the route's rule (403); page-size cap (400). Every decision about a known caller is handed to
 *   `onDecision` (the audit hook), refusals included.
 */
import type { Request } from 'express';
import { Problem } from '../http/problem.ts';
import { forbidden, refusal, resolvePrincipal, unauthorized, type KeyResolver } from './authorize.ts';
import type { SessionResolver } from './sessions.ts';
import type { AccessRule, Authorizer, Principal } from './types.ts';

export interface Decision {
  allowed: boolean;
  /** Why it was refused (stable code), e.g. `forbidden`, `rate_limited`, `agent_access_suspended`. */
  reason?: string;
}

export type AgentCheck = (principal: Principal, req: Request) => Promise<void> | void;

export interface GateOptions {
  keys: KeyResolver;
  sessions: SessionResolver;
  /** Largest `limit` / `pageSize` / `page_size` a query may ask for. */
  maxPageSize: number;
  /** Run for agents before the rule, in order; throw a Problem to refuse. */
  agentChecks?: AgentCheck[];
  onDecision?: (req: Request, principal: Principal, decision: Decision) => void;
}

const PAGE_PARAMS = ['limit', 'pageSize', 'page_size'];

export function pageTooLarge(max: number): Problem {
  return new Problem({
    status: 400,
    code: 'page_too_large',
    title: 'Page too large',
    detail: `Ask for at most ${max} items per page.`,
    extra: { maxPageSize: max },
  });
}

function checkPageSize(req: Request, max: number): void {
  const q = req.query as Record<string, unknown>;
  for (const p of PAGE_PARAMS) {
    const v = q[p];
    if (v === undefined) continue;
    const n = Number(v);
    if (typeof v !== 'string' || (Number.isFinite(n) && n > max)) throw pageTooLarge(max);
  }
}

export function gate(opts: GateOptions): Authorizer {
  return async (req: Request, rule: AccessRule) => {
    if ('public' in rule) return undefined;
    const principal = await resolvePrincipal(req, opts.keys, opts.sessions);
    if (!principal) throw unauthorized();
    try {
      if (principal.kind === 'agent') for (const check of opts.agentChecks ?? []) await check(principal, req);
      const why = refusal(principal, rule, req);
      if (why) throw forbidden(why);
      checkPageSize(req, opts.maxPageSize);
    } catch (err) {
      opts.onDecision?.(req, principal, {
        allowed: false,
        reason: err instanceof Problem ? err.code : 'error',
      });
      throw err;
    }
    opts.onDecision?.(req, principal, { allowed: true });
    return principal;
  };
}
