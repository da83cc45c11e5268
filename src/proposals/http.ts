/** What the proposals routes share: error responses for OpenAPI, and a caller as a proposer. */
import { z } from 'zod';
import type { Principal } from '../access/types.ts';

const ProblemBody = z
  .object({ type: z.string(), title: z.string(), status: z.number(), code: z.string() })
  .loose();
export const err = (description: string) => ({ description, schema: ProblemBody });
export const errors = {
  400: err('Bad request'),
  401: err('Not signed in / no valid key'),
  403: err('Not allowed (role, scope, maker-checker, four eyes)'),
  404: err('No such proposal'),
  409: err('Not possible in the proposal’s state (not approved, expired, stale, claimed by someone else...)'),
};

export function proposer(p: Principal) {
  return { kind: p.kind, id: p.id, name: p.name, scopes: p.scopes };
}
