/**
 * The mode and the 90-day clock over HTTP, and the admin switches: gated-write (per type, after day
 * 90) and the rollback plan. Every switch is recorded (event and audit row) by the service.
 */
import path from 'node:path';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import type { Api } from '../http/route.ts';
import { actorOf } from './deps.ts';
import { MODES, ModeStateSchema } from './mode.ts';
import { RollbackPlanSchema } from './rollback.ts';
import { err, errors, proposer } from './http.ts';
import type { ProposalService } from './service.ts';

export function modeRoutes(api: Api, ctx: AppContext, svc: ProposalService): void {
  api.add({
    method: 'get',
    path: '/v1/mode',
    summary: 'Mode and day N of 90',
    tags: ['mode'],
    access: {
      public: 'the mode and the 90-day clock are shown to every agent and on the console; nothing secret',
    },
    responses: { 200: { description: 'Mode', schema: ModeStateSchema } },
    handler: () => svc.mode(),
  });

  api.add({
    method: 'post',
    path: '/v1/admin/mode',
    summary: 'Switch the mode',
    description:
      '`gated-write` only after day 90. Switching back to `proposal` (or `read-only`) takes effect at once.',
    tags: ['mode'],
    access: { roles: ['admin'] },
    body: z.object({ mode: z.enum(MODES) }).strict(),
    responses: { 200: { description: 'Mode', schema: ModeStateSchema }, ...errors },
    handler: ({ body, principal }) => svc.setMode(actorOf(principal!), body.mode),
  });

  api.add({
    method: 'post',
    path: '/v1/admin/gated-write',
    summary: 'Let seam carry out one proposal type itself (gated-write), or stop it',
    description:
      'Only after day 90, for a type with a write operation. Takes effect while the mode is `gated-write`; approvals are still required.',
    tags: ['mode'],
    access: { roles: ['admin'] },
    body: z.object({ type: z.string().min(1).max(64), enabled: z.boolean() }).strict(),
    responses: { 200: { description: 'Mode', schema: ModeStateSchema }, ...errors, 422: err('Unknown type') },
    handler: ({ body, principal }) => svc.setGatedWrite(actorOf(principal!), body.type, body.enabled),
  });

  api.add({
    method: 'post',
    path: '/v1/admin/rollback',
    summary: 'Rollback plan: reverse what was carried out in a window',
    description:
      'Creates reversal proposals (routed by policy like any other) for reversible proposals executed since `since` (e.g. `24h`), and writes a report (markdown and CSV) of the irreversible ones.',
    tags: ['proposals'],
    access: { roles: ['admin'] },
    body: z.object({ since: z.string().min(2).max(40) }).strict(),
    responses: { 200: { description: 'The plan', schema: RollbackPlanSchema }, ...errors },
    handler: ({ body, principal }) =>
      svc.rollback(proposer(principal!), {
        since: body.since,
        outDir: path.join(ctx.config.dataDir === 'memory://' ? '.seam-data' : ctx.config.dataDir, 'reports'),
      }),
  });
}
