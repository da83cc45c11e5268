/**
 * The mode seam runs in toward the legacy system, and the 90-day clock.
 *
 * - `read-only`: agents read; proposals are refused.
 * - `proposal` (the default): agents propose, people approve and carry out by hand, seam verifies.
 *   seam holds no write credential and never calls a write operation.
 * - `gated-write`: only after day 90, switched on by an admin and recorded, and then only for the
 *   proposal types an admin enabled one by one: an approved proposal of such a type is carried out
 *   by seam through the adapter's write operation, then verified the same way. Switching back to
 *   `proposal` takes effect at once, for every process sharing the database.
 *
 * Day 1 is the go-live date: SEAM_GO_LIVE, or else the date seam first started on this database
 * (kept in seam_settings so every process and every restart agrees).
 */
import { z } from 'zod';
import type { Queryable } from '../store/types.ts';

export const MODES = ['read-only', 'proposal', 'gated-write'] as const;
export type Mode = (typeof MODES)[number];

/** How long proposal mode lasts before gated-write may even be considered. */
export const PROPOSAL_PERIOD_DAYS = 90;

const DAY_MS = 86_400_000;

export const GatedTypeSchema = z.object({
  type: z.string(),
  enabledAt: z.string(),
  enabledBy: z.string(),
});

export const ModeStateSchema = z
  .object({
    mode: z.enum(MODES),
    goLive: z.string().meta({ description: 'Day 1 of the proposal period (YYYY-MM-DD, UTC).' }),
    goLiveSource: z.enum(['config', 'first-start']),
    /** Day N of the proposal period (1 on the go-live date; 0 or less before it). */
    day: z.number(),
    of: z.number(),
    daysLeft: z.number(),
    /** Whether an admin may switch gated-write on (after day 90). */
    gatedWriteAllowed: z.boolean(),
    /** Proposal types seam carries out itself while the mode is gated-write. */
    gatedTypes: z.array(GatedTypeSchema),
    changedAt: z.string().nullable(),
    changedBy: z.string().nullable(),
  })
  .meta({ id: 'ModeState' });
export type ModeState = z.infer<typeof ModeStateSchema>;

interface StoredMode {
  mode: Mode;
  at?: string;
  by?: string;
}
interface StoredGated {
  types: Record<string, { at: string; by: string }>;
}

const todayUtc = (now: Date) => now.toISOString().slice(0, 10);

async function readSetting<T>(db: Queryable, key: string): Promise<T | undefined> {
  const r = await db.query<{ value: T }>('SELECT value FROM seam_settings WHERE key = $1', [key]);
  return r.rows[0]?.value;
}

async function writeSetting(db: Queryable, key: string, value: unknown, by: string): Promise<void> {
  await db.query(
    `INSERT INTO seam_settings (key, value, updated_at, updated_by) VALUES ($1, $2, now(), $3)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by`,
    [key, JSON.stringify(value), by],
  );
}

/** Fix the go-live date on first start (the first process to get here wins; others read it). */
export async function ensureGoLive(db: Queryable, now: Date): Promise<string> {
  await db.query(
    `INSERT INTO seam_settings (key, value, updated_by) VALUES ('go_live', $1, 'seam') ON CONFLICT (key) DO NOTHING`,
    [JSON.stringify({ date: todayUtc(now) })],
  );
  return (await readSetting<{ date: string }>(db, 'go_live'))!.date;
}

export function dayOf(goLive: string, now: Date): number {
  const start = Date.parse(`${goLive}T00:00:00Z`);
  const today = Date.parse(`${todayUtc(now)}T00:00:00Z`);
  return Math.floor((today - start) / DAY_MS) + 1;
}

export async function readMode(db: Queryable, opts: { goLive?: string; now: Date }): Promise<ModeState> {
  const goLive = opts.goLive ?? (await ensureGoLive(db, opts.now));
  const stored = (await readSetting<StoredMode>(db, 'mode')) ?? { mode: 'proposal' };
  const gated = (await readSetting<StoredGated>(db, 'gated_write')) ?? { types: {} };
  const day = dayOf(goLive, opts.now);
  return {
    mode: stored.mode,
    goLive,
    goLiveSource: opts.goLive ? 'config' : 'first-start',
    day,
    of: PROPOSAL_PERIOD_DAYS,
    daysLeft: Math.max(0, PROPOSAL_PERIOD_DAYS - day),
    gatedWriteAllowed: day > PROPOSAL_PERIOD_DAYS,
    gatedTypes: Object.entries(gated.types).map(([type, v]) => ({
      type,
      enabledAt: v.at,
      enabledBy: v.by,
    })),
    changedAt: stored.at ?? null,
    changedBy: stored.by ?? null,
  };
}

/** Is this proposal type carried out by seam itself right now? */
export function isGated(state: ModeState, type: string): boolean {
  return state.mode === 'gated-write' && state.gatedTypes.some((g) => g.type === type);
}

export async function writeMode(db: Queryable, mode: Mode, by: string, now: Date): Promise<void> {
  await writeSetting(db, 'mode', { mode, at: now.toISOString(), by } satisfies StoredMode, by);
}

export async function writeGatedType(
  db: Queryable,
  type: string,
  enabled: boolean,
  by: string,
  now: Date,
): Promise<void> {
  // Row lock so two admins switching different types at once do not lose one change.
  await db.query(
    `INSERT INTO seam_settings (key, value, updated_by) VALUES ('gated_write', '{"types":{}}', $1)
     ON CONFLICT (key) DO NOTHING`,
    [by],
  );
  const r = await db.query<{ value: StoredGated }>(
    `SELECT value FROM seam_settings WHERE key = 'gated_write' FOR UPDATE`,
  );
  const types = { ...(r.rows[0]?.value.types ?? {}) };
  if (enabled) types[type] = { at: now.toISOString(), by };
  else delete types[type];
  await writeSetting(db, 'gated_write', { types } satisfies StoredGated, by);
}
