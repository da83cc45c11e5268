/** Real agent keys for tests: created in the store exactly as `seam keys create` does. */
import { createKey } from '../../src/access/keys.ts';
import type { Store } from '../../src/store/types.ts';

export async function issueKey(store: Store, scopes: string[], name = 'test-agent'): Promise<string> {
  const { key } = await createKey(store, { name, scopes }, 'test');
  return key;
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
