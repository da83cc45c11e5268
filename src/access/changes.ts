/**
 * Every change that can make a cached credential wrong (a key revoked or rotated, a session ended,
 * a user's roles changed or the user disabled) is announced on one channel, delivered at commit to
 * every seam process on the schema, which then drops its cached keys and sessions. The caches' own
 * short lifetimes (KEY_CACHE_MS, SESSION_CACHE_MS) remain the bound if a notification is lost.
 */
import { notify } from '../store/notify.ts';
import type { Queryable, Store } from '../store/types.ts';

export const ACCESS_CHANNEL = 'seam_access';

/** Announce a credential change (inside the caller's transaction: delivered when it commits). */
export function announceAccessChange(db: Queryable): Promise<void> {
  return notify(db, ACCESS_CHANNEL, 'changed');
}

/** Call `forget` whenever any process announces a credential change; resolves to the unsubscribe. */
export function onAccessChange(store: Store, forget: () => void): Promise<() => Promise<void>> {
  return store.listen(ACCESS_CHANNEL, forget);
}
