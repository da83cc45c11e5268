/**
 * Humans: named accounts with roles. Operators carry out proposals, approvers approve them, admins
 * manage keys, users and the kill switch, auditors read the audit trail. A person can hold several.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Problem } from '../http/problem.ts';
import { PG_ERROR, sqlState, type Queryable } from '../store/types.ts';
import { announceAccessChange } from './changes.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password.ts';
import type { HumanRole } from './types.ts';

export const HUMAN_ROLES = [
  'operator',
  'approver',
  'admin',
  'auditor',
] as const satisfies readonly HumanRole[];
export const HumanRoleSchema = z.enum(HUMAN_ROLES);

export const UserName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');
export const Password = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);

export interface DbUser {
  id: string;
  name: string;
  display_name: string | null;
  password_hash: string;
  roles: HumanRole[];
  disabled_at: Date | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
}

export const User = z
  .object({
    id: z.string(),
    name: z.string(),
    displayName: z.string().nullable(),
    roles: z.array(HumanRoleSchema),
    disabledAt: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof User>;

export function userInfo(r: DbUser): User {
  return {
    id: r.id,
    name: r.name,
    displayName: r.display_name,
    roles: r.roles,
    disabledAt: r.disabled_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
  };
}

export const CreateUserInput = z.object({
  name: UserName,
  displayName: z.string().max(200).optional(),
  password: Password,
  roles: z.array(HumanRoleSchema).max(4).default([]),
});
export type CreateUserInput = z.input<typeof CreateUserInput>;

const dedupe = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

export async function createUser(db: Queryable, input: CreateUserInput, createdBy: string): Promise<User> {
  const p = CreateUserInput.parse(input);
  const hash = await hashPassword(p.password);
  try {
    const r = await db.query<DbUser>(
      `INSERT INTO users (id, name, display_name, password_hash, roles, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [randomUUID(), p.name, p.displayName ?? null, hash, dedupe(p.roles), createdBy],
    );
    return userInfo(r.rows[0]!);
  } catch (err) {
    if (sqlState(err) === PG_ERROR.unique_violation)
      throw new Problem({
        status: 409,
        code: 'user_exists',
        title: 'User exists',
        detail: `A user named ${p.name} already exists.`,
      });
    throw err;
  }
}

/** A user by id or (case-insensitive) name. */
export async function findUser(db: Queryable, idOrName: string): Promise<DbUser | undefined> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrName);
  const r = await db.query<DbUser>(
    isUuid ? 'SELECT * FROM users WHERE id = $1' : 'SELECT * FROM users WHERE lower(name) = lower($1)',
    [idOrName],
  );
  return r.rows[0];
}

export async function listUsers(db: Queryable): Promise<User[]> {
  const r = await db.query<DbUser>('SELECT * FROM users ORDER BY lower(name)');
  return r.rows.map(userInfo);
}

function noSuchUser(idOrName: string): Problem {
  return new Problem({ status: 404, code: 'user_not_found', title: 'No such user', detail: idOrName });
}

export async function setUserRoles(db: Queryable, idOrName: string, roles: HumanRole[]): Promise<User> {
  const parsed = z.array(HumanRoleSchema).parse(roles);
  const u = await findUser(db, idOrName);
  if (!u) throw noSuchUser(idOrName);
  const r = await db.query<DbUser>(
    'UPDATE users SET roles = $2, updated_at = now() WHERE id = $1 RETURNING *',
    [u.id, dedupe(parsed)],
  );
  await announceAccessChange(db);
  return userInfo(r.rows[0]!);
}

/** Disable (or re-enable) a user; disabling also ends every session they hold. */
export async function setUserDisabled(db: Queryable, idOrName: string, disabled: boolean): Promise<User> {
  const u = await findUser(db, idOrName);
  if (!u) throw noSuchUser(idOrName);
  const r = await db.query<DbUser>(
    `UPDATE users SET disabled_at = CASE WHEN $2::boolean THEN coalesce(disabled_at, now()) END,
       updated_at = now() WHERE id = $1 RETURNING *`,
    [u.id, disabled],
  );
  if (disabled)
    await db.query('UPDATE user_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [
      u.id,
    ]);
  await announceAccessChange(db);
  return userInfo(r.rows[0]!);
}

export async function setUserPassword(db: Queryable, idOrName: string, password: string): Promise<void> {
  const u = await findUser(db, idOrName);
  if (!u) throw noSuchUser(idOrName);
  const hash = await hashPassword(Password.parse(password));
  await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [u.id, hash]);
  await db.query('UPDATE user_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [
    u.id,
  ]);
}
