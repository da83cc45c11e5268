/**
 * The kill switch: stop every agent, or one agent (by key id or by name, which covers all its keys
 * including rotated ones), at once. The state lives in the database (agent_suspensions) so every
 * process sharing it obeys. Each process caches it for at most REFRESH_MS and also drops the cache
 * the moment a NOTIFY arrives, so a kill is honoured everywhere within one second even if a
 * notification is lost. Humans are never suspended: an admin must be able to undo a kill.
 */
import { notify } from '../store/notify.ts';
import { Problem } from '../http/problem.ts';
import type { Queryable, Store } from '../store/types.ts';
import type { Principal } from './types.ts';

export const KILL_CHANNEL = 'seam_kill';
/** Longest a process trusts its cached kill state; with query time this keeps the bound below 1 s. */
export const REFRESH_MS = 500;

export type KillTarget = { all: true } | { keyId: string } | { name: string };

export interface Suspension {
  target: string;
  reason: string | null;
  createdAt: string;
  createdBy: string;
}

export function targetString(t: KillTarget): string {
  if ('all' in t) return '*';
  if ('keyId' in t) return `key:${t.keyId}`;
  return `name:${t.name}`;
}

export function suspended(): Problem {
  return new Problem({
    status: 403,
    code: 'agent_access_suspended',
    title: 'Agent access suspended',
    detail: 'An administrator has suspended this agent’s access.',
  });
}

/** Kill; returns false when that target was already killed. */
export async function kill(db: Queryable, t: KillTarget, by: string, reason?: string): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO agent_suspensions (target, reason, created_by) VALUES ($1, $2, $3)
     ON CONFLICT (target) DO NOTHING`,
    [targetString(t), reason ?? null, by],
  );
  await notify(db, KILL_CHANNEL, 'kill');
  return r.rowCount > 0;
}

/** Undo a kill; `{ all: true }` with `everything` lifts every suspension at once. */
export async function unkill(db: Queryable, t: KillTarget | { everything: true }): Promise<number> {
  const r =
    'everything' in t
      ? await db.query('DELETE FROM agent_suspensions')
      : await db.query('DELETE FROM agent_suspensions WHERE target = $1', [targetString(t)]);
  await notify(db, KILL_CHANNEL, 'unkill');
  return r.rowCount;
}

export async function listSuspensions(db: Queryable): Promise<Suspension[]> {
  const r = await db.query<{ target: string; reason: string | null; created_at: Date; created_by: string }>(
    'SELECT * FROM agent_suspensions ORDER BY created_at',
  );
  return r.rows.map((s) => ({
    target: s.target,
    reason: s.reason,
    createdAt: s.created_at.toISOString(),
    createdBy: s.created_by,
  }));
}

export class KillSwitch {
  private targets = new Set<string>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.store.listen(KILL_CHANNEL, () => this.invalidate());
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = undefined;
  }

  invalidate(): void {
    this.loadedAt = -Infinity;
  }

  private async current(): Promise<Set<string>> {
    if (this.now() - this.loadedAt < REFRESH_MS) return this.targets;
    this.loading ??= (async () => {
      const started = this.now();
      const r = await this.store.query<{ target: string }>('SELECT target FROM agent_suspensions');
      this.targets = new Set(r.rows.map((x) => x.target));
      this.loadedAt = started;
    })().finally(() => {
      this.loading = undefined;
    });
    await this.loading;
    return this.targets;
  }

  /** Throws agent_access_suspended for a suspended agent; a store error refuses too (fails closed). */
  async check(p: Principal): Promise<void> {
    if (p.kind !== 'agent') return;
    const t = await this.current();
    if (t.size === 0) return;
    if (t.has('*') || t.has(`key:${p.id}`) || t.has(`name:${p.name}`)) throw suspended();
  }
}
