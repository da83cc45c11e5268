/** Real humans for tests: a user with roles and a signed-in session, as `seam users create` + login make. */
import { randomBytes } from 'node:crypto';
import { createSession } from '../../src/access/sessions.ts';
import type { HumanRole } from '../../src/access/types.ts';
import { createUser, setUserRoles } from '../../src/access/users.ts';
import { Problem } from '../../src/http/problem.ts';
import type { Store } from '../../src/store/types.ts';

export interface IssuedHuman {
  id: string;
  name: string;
  /** Session token (`seam_hs_...`). */
  token: string;
  /** The password it was created with (for login tests). */
  password: string;
  /** `{ authorization: 'Bearer seam_hs_...' }` */
  headers: Record<string, string>;
}

let n = 0;
const passwords = new Map<string, string>();

export async function issueHuman(
  store: Store,
  opts: { name?: string; roles: HumanRole[] },
): Promise<IssuedHuman> {
  const name = opts.name ?? `human-${process.pid}-${++n}-${randomBytes(3).toString('hex')}`;
  let password = `pw-${randomBytes(12).toString('hex')}`;
  let id: string;
  try {
    id = (await createUser(store, { name, password, roles: opts.roles }, 'test')).id;
    passwords.set(`${store.schema}/${name}`, password);
  } catch (err) {
    // Issuing the same name again (another describe on the same store): same person, these roles.
    if (!(err instanceof Problem && err.status === 409)) throw err;
    id = (await setUserRoles(store, name, opts.roles)).id;
    password = passwords.get(`${store.schema}/${name}`) ?? '';
  }
  const { token } = await createSession(store, id, 3_600_000);
  return { id, name, token, password, headers: { authorization: `Bearer ${token}` } };
}
