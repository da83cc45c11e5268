/**
 * Admin actions on keys, humans and the kill switch, each committed together with its audit entry
 * (one transaction), for both the admin routes and the CLI.
 */
import { recordInTx } from '../audit/service.ts';
import type { Actor } from '../audit/types.ts';
import { Problem } from '../http/problem.ts';
import type { Store } from '../store/types.ts';
import { revokeKey, rotateKey } from './key-admin.ts';
import { createKey, type ApiKeyInfo, type CreateKeyInput } from './keys.ts';
import { kill, unkill, type KillTarget } from './killswitch.ts';
import type { HumanRole } from './types.ts';
import { createUser, setUserDisabled, setUserRoles, type CreateUserInput, type User } from './users.ts';

export interface AdminContext {
  store: Store;
  actor: Actor;
  requestId?: string;
}

const keyRecord = (k: { id: string }) => `keys/${k.id}`;

export async function adminCreateKey(
  a: AdminContext,
  input: CreateKeyInput,
): Promise<{ key: string; info: ApiKeyInfo }> {
  return a.store.transaction(async (tx) => {
    const out = await createKey(tx, input, a.actor.name);
    await recordInTx(tx, {
      actor: a.actor,
      action: 'key.create',
      records: [keyRecord(out.info), `agents/${out.info.name}`],
      input: { ...input, expiresAt: out.info.expiresAt },
      requestId: a.requestId,
    });
    return out;
  });
}

export async function adminRevokeKey(a: AdminContext, idOrName: string): Promise<ApiKeyInfo[]> {
  return a.store.transaction(async (tx) => {
    const revoked = await revokeKey(tx, idOrName, a.actor.name);
    await recordInTx(tx, {
      actor: a.actor,
      action: 'key.revoke',
      records: revoked.map(keyRecord),
      input: { key: idOrName },
      requestId: a.requestId,
    });
    return revoked;
  });
}

export async function adminRotateKey(
  a: AdminContext,
  idOrName: string,
  opts: { overlapMs?: number; expiresAt?: Date },
): Promise<{ key: string; info: ApiKeyInfo; old: ApiKeyInfo[] }> {
  return a.store.transaction(async (tx) => {
    const out = await rotateKey(tx, idOrName, a.actor.name, opts);
    await recordInTx(tx, {
      actor: a.actor,
      action: 'key.rotate',
      records: [keyRecord(out.info), ...out.old.map(keyRecord)],
      input: { key: idOrName, overlapMs: opts.overlapMs, expiresAt: opts.expiresAt },
      result: { newKeyId: out.info.id, oldKeysExpireAt: out.old.map((o) => o.expiresAt) },
      requestId: a.requestId,
    });
    return out;
  });
}

export async function adminCreateUser(a: AdminContext, input: CreateUserInput): Promise<User> {
  return a.store.transaction(async (tx) => {
    const u = await createUser(tx, input, a.actor.name);
    await recordInTx(tx, {
      actor: a.actor,
      action: 'user.create',
      records: [`users/${u.id}`],
      input: { name: u.name, roles: u.roles, displayName: u.displayName },
      requestId: a.requestId,
    });
    return u;
  });
}

export async function adminSetRoles(a: AdminContext, idOrName: string, roles: HumanRole[]): Promise<User> {
  return a.store.transaction(async (tx) => {
    const u = await setUserRoles(tx, idOrName, roles);
    await recordInTx(tx, {
      actor: a.actor,
      action: 'user.set-roles',
      records: [`users/${u.id}`],
      input: { user: idOrName, roles },
      requestId: a.requestId,
    });
    return u;
  });
}

export async function adminSetDisabled(a: AdminContext, idOrName: string, disabled: boolean): Promise<User> {
  return a.store.transaction(async (tx) => {
    const u = await setUserDisabled(tx, idOrName, disabled);
    await recordInTx(tx, {
      actor: a.actor,
      action: disabled ? 'user.disable' : 'user.enable',
      records: [`users/${u.id}`],
      input: { user: idOrName },
      requestId: a.requestId,
    });
    return u;
  });
}

/** `agent` is a key id or an agent (key) name; omitted means every agent. */
export async function resolveKillTarget(store: Store, agent: string | undefined): Promise<KillTarget> {
  if (agent === undefined || agent === '*') return { all: true };
  const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(agent);
  const r = await store.query<{ id: string }>(
    byId ? 'SELECT id FROM api_keys WHERE id = $1::uuid' : 'SELECT id FROM api_keys WHERE name = $1 LIMIT 1',
    [agent],
  );
  if (r.rows.length === 0)
    throw new Problem({ status: 404, code: 'agent_not_found', title: 'No such agent', detail: agent });
  return byId ? { keyId: agent } : { name: agent };
}

function killRecords(t: KillTarget): string[] {
  if ('all' in t) return ['agents/*'];
  if ('keyId' in t) return [`keys/${t.keyId}`];
  return [`agents/${t.name}`];
}

export async function adminKill(
  a: AdminContext,
  agent: string | undefined,
  reason?: string,
): Promise<{ target: KillTarget; changed: boolean }> {
  const target = await resolveKillTarget(a.store, agent);
  return a.store.transaction(async (tx) => {
    const changed = await kill(tx, target, a.actor.name, reason);
    await recordInTx(tx, {
      actor: a.actor,
      action: 'kill.on',
      records: killRecords(target),
      input: { agent: agent ?? '*', reason },
      result: { changed },
      requestId: a.requestId,
    });
    return { target, changed };
  });
}

/** Lift a kill; with no agent, lift every suspension (all agents and single ones). */
export async function adminUnkill(a: AdminContext, agent: string | undefined): Promise<{ lifted: number }> {
  const target =
    agent === undefined ? ({ everything: true } as const) : await resolveKillTarget(a.store, agent);
  return a.store.transaction(async (tx) => {
    const lifted = await unkill(tx, target);
    await recordInTx(tx, {
      actor: a.actor,
      action: 'kill.off',
      records: 'everything' in target ? ['agents/*'] : killRecords(target),
      input: { agent: agent ?? '*' },
      result: { lifted },
      requestId: a.requestId,
    });
    return { lifted };
  });
}
