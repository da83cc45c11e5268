/** Admin routes (human admin role): keys, humans, the kill switch. Each change is audited. */
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { reply, type Api, type HandlerInput } from '../http/route.ts';
import {
  adminCreateKey,
  adminCreateUser,
  adminKill,
  adminRevokeKey,
  adminRotateKey,
  adminSetDisabled,
  adminSetRoles,
  adminUnkill,
  type AdminContext,
} from './admin.ts';
import { ApiKey, listKeys } from './key-admin.ts';
import { CreateKeyInput } from './keys.ts';
import { listSuspensions } from './killswitch.ts';
import { CreateUserInput, HumanRoleSchema, listUsers, User } from './users.ts';

const ADMIN = { roles: ['admin'] } as const;

const NewKey = ApiKey.extend({ key: z.string().meta({ description: 'The key; shown this once only' }) }).meta(
  {
    id: 'NewApiKey',
  },
);
const IdOrName = z.object({ key: z.string().min(1).max(200) });
const UserParam = z.object({ user: z.string().min(1).max(200) });
const KillBody = z
  .object({
    agent: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'Key id or agent name; omit for all agents' }),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'KillRequest' });
const KillState = z
  .object({
    suspensions: z.array(
      z.object({
        target: z.string(),
        reason: z.string().nullable(),
        createdAt: z.string(),
        createdBy: z.string(),
      }),
    ),
  })
  .meta({ id: 'KillState' });

function admin(ctx: AppContext, input: HandlerInput<unknown, unknown, unknown>): AdminContext {
  const p = input.principal!;
  return {
    store: ctx.store,
    actor: { kind: p.kind, id: p.id, name: p.name },
    requestId: input.req.id === undefined ? undefined : String(input.req.id),
  };
}

export function adminRoutes(api: Api, ctx: AppContext): void {
  const forget = () => {
    ctx.services.keys?.clear();
    ctx.services.sessions?.clear();
  };

  api.add({
    method: 'get',
    path: '/v1/admin/keys',
    summary: 'List agent keys (active only unless all=true)',
    tags: ['admin'],
    access: ADMIN,
    query: z.object({ all: z.enum(['true', 'false']).optional() }),
    responses: { 200: { description: 'Keys', schema: z.object({ items: z.array(ApiKey) }) } },
    handler: async ({ query }) => ({
      items: await listKeys(ctx.store, { includeInactive: query.all === 'true' }),
    }),
  });

  api.add({
    method: 'post',
    path: '/v1/admin/keys',
    summary: 'Create an agent key; the key is in this answer only',
    description: 'A new key can do nothing until given scopes (least privilege).',
    tags: ['admin'],
    access: ADMIN,
    body: CreateKeyInput,
    responses: { 201: { description: 'Created', schema: NewKey } },
    handler: async (input) => {
      const { key, info } = await adminCreateKey(admin(ctx, input), input.body);
      return reply({ status: 201, headers: { 'Cache-Control': 'no-store' }, body: { ...info, key } });
    },
  });

  api.add({
    method: 'post',
    path: '/v1/admin/keys/:key/revoke',
    summary: 'Revoke a key (by id), or every active key of an agent (by name)',
    tags: ['admin'],
    access: ADMIN,
    params: IdOrName,
    responses: { 200: { description: 'Revoked keys', schema: z.object({ items: z.array(ApiKey) }) } },
    handler: async (input) => {
      const items = await adminRevokeKey(admin(ctx, input), input.params.key);
      forget();
      return { items };
    },
  });

  api.add({
    method: 'post',
    path: '/v1/admin/keys/:key/rotate',
    summary: 'Rotate a key: a new key with the same name and scopes; the old one expires after the overlap',
    tags: ['admin'],
    access: ADMIN,
    params: IdOrName,
    body: z
      .object({
        overlapSeconds: z
          .number()
          .int()
          .min(0)
          .max(90 * 86_400)
          .optional(),
        expiresAt: z.coerce.date().optional(),
      })
      .optional(),
    responses: {
      200: {
        description: 'The new key (shown once) and the old keys with their new expiry',
        schema: z.object({ key: z.string(), info: ApiKey, old: z.array(ApiKey) }),
      },
    },
    handler: async (input) => {
      const b = input.body ?? {};
      const out = await adminRotateKey(admin(ctx, input), input.params.key, {
        ...(b.overlapSeconds !== undefined ? { overlapMs: b.overlapSeconds * 1000 } : {}),
        ...(b.expiresAt ? { expiresAt: b.expiresAt } : {}),
      });
      forget();
      return reply({ headers: { 'Cache-Control': 'no-store' }, body: out });
    },
  });

  api.add({
    method: 'get',
    path: '/v1/admin/users',
    summary: 'List humans',
    tags: ['admin'],
    access: ADMIN,
    responses: { 200: { description: 'Users', schema: z.object({ items: z.array(User) }) } },
    handler: async () => ({ items: await listUsers(ctx.store) }),
  });

  api.add({
    method: 'post',
    path: '/v1/admin/users',
    summary: 'Create a human with roles and a password',
    tags: ['admin'],
    access: ADMIN,
    body: CreateUserInput,
    responses: { 201: { description: 'Created', schema: User }, 409: { description: 'Name taken' } },
    handler: async (input) =>
      reply({ status: 201, body: await adminCreateUser(admin(ctx, input), input.body) }),
  });

  api.add({
    method: 'put',
    path: '/v1/admin/users/:user/roles',
    summary: 'Set a human’s roles (replaces them)',
    tags: ['admin'],
    access: ADMIN,
    params: UserParam,
    body: z.object({ roles: z.array(HumanRoleSchema).max(4) }),
    responses: { 200: { description: 'Updated', schema: User } },
    handler: async (input) => {
      const u = await adminSetRoles(admin(ctx, input), input.params.user, input.body.roles);
      forget();
      return u;
    },
  });

  for (const disabled of [true, false]) {
    api.add({
      method: 'post',
      path: `/v1/admin/users/:user/${disabled ? 'disable' : 'enable'}`,
      summary: disabled ? 'Disable a human (ends their sessions)' : 'Enable a disabled human',
      tags: ['admin'],
      access: ADMIN,
      params: UserParam,
      responses: { 200: { description: 'Updated', schema: User } },
      handler: async (input) => {
        const u = await adminSetDisabled(admin(ctx, input), input.params.user, disabled);
        forget();
        return u;
      },
    });
  }

  api.add({
    method: 'get',
    path: '/v1/admin/kill',
    summary: 'Which agents are suspended',
    tags: ['admin'],
    access: { roles: ['admin', 'auditor', 'operator'] },
    responses: { 200: { description: 'Current suspensions', schema: KillState } },
    handler: async () => ({ suspensions: await listSuspensions(ctx.store) }),
  });

  api.add({
    method: 'post',
    path: '/v1/admin/kill',
    summary: 'Kill switch: suspend every agent, or one (by key id or name)',
    description: 'Every seam process sharing the database refuses the agent within one second.',
    tags: ['admin'],
    access: ADMIN,
    body: KillBody.optional(),
    responses: { 200: { description: 'Suspended', schema: KillState } },
    handler: async (input) => {
      await adminKill(admin(ctx, input), input.body?.agent, input.body?.reason);
      ctx.services.killSwitch?.invalidate();
      return { suspensions: await listSuspensions(ctx.store) };
    },
  });

  const unkillSpec = {
    summary: 'Lift the kill switch for one agent, or every suspension when no agent is given',
    tags: ['admin'],
    access: ADMIN,
    responses: { 200: { description: 'What remains suspended', schema: KillState } },
  };
  api.add({
    ...unkillSpec,
    method: 'post',
    path: '/v1/admin/unkill',
    body: KillBody.optional(),
    handler: async (input) => {
      await adminUnkill(admin(ctx, input), input.body?.agent);
      ctx.services.killSwitch?.invalidate();
      return { suspensions: await listSuspensions(ctx.store) };
    },
  });
  api.add({
    ...unkillSpec,
    method: 'delete',
    path: '/v1/admin/kill',
    query: z.object({ agent: z.string().min(1).max(200).optional() }),
    handler: async (input) => {
      await adminUnkill(admin(ctx, input), input.query.agent);
      ctx.services.killSwitch?.invalidate();
      return { suspensions: await listSuspensions(ctx.store) };
    },
  });
}
