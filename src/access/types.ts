/**
 * Who is calling, and what a route demands of them. Every route declares an AccessRule; the HTTP
 * layer refuses a route that has none, so a forgotten check is impossible by construction.
 */
import type { Request } from 'express';

export type HumanRole = 'operator' | 'approver' | 'admin' | 'auditor';

export interface Principal {
  kind: 'agent' | 'human';
  /** Stable id: the key id for agents, the user id for humans. */
  id: string;
  /** Display name (agent name or user name). */
  name: string;
  scopes: readonly string[];
  roles: readonly HumanRole[];
  /** Agents: requests per minute this key may make (unset: the configured default). */
  rateLimitPerMinute?: number;
}

export type AccessRule =
  /** Open to anyone who can reach the port; the reason is kept for the route audit. */
  | { public: string }
  /** An agent key holding this scope. Humans hold no scopes: combine with `roles` via `anyOf`. */
  | { scope: string | ((req: Request) => string) }
  /** A signed-in human with one of these roles. */
  | { roles: readonly HumanRole[] }
  /** Either of the rules. */
  | { anyOf: readonly AccessRule[] };

/** Resolves the caller and checks the rule; throws a Problem (401/403/429) when refused. */
export type Authorizer = (req: Request, rule: AccessRule) => Promise<Principal | undefined>;
