/**
 * Shadow mode's read wrapper: a resource handle that answers exactly as the primary (legacy) one
 * does, and also reads the same record from the replacement system (the shadow) and compares the
 * two, off the agent's path. The registry installs it with `systems.wrapResources` (src/shadow/).
 *
 * - A single read starts both reads at once (so they see the system state at nearly the same
 *   moment) but only the primary's is awaited; the comparison runs when the shadow answers.
 * - A page (a poll) is returned at once; up to `pageSample` of its records are then read from the
 *   shadow one by one and compared (page boundaries of two systems need not line up).
 * - The shadow sits behind its own guard, so its limits protect it; when it refuses work
 *   (overloaded, breaker open, maintenance) or the shared PendingComparisons is full, the
 *   comparison is skipped and counted, never queued without bound.
 *
 * Glossary: *primary* is the system agents are served from; *shadow* the candidate replacement; a
 * *difference* is one way a record differs between them (a field, a record missing on one side, a
 * record the shadow cannot give).
 */
import { canonicalJson } from '../records/repo.ts';
import { LEGACY_ERROR, LegacyError } from '../legacy/errors.ts';
import type { LiveRecord, ResourceHandle } from './registry.ts';
import type { PageRequest } from './resource.ts';

export type DifferenceKind =
  /** A field's value differs (or is present on one side only). */
  | 'field'
  /** The primary has the record; the shadow says it does not exist. */
  | 'missing'
  /** The shadow has a record the primary says does not exist. */
  | 'extra'
  /** The shadow's record failed the resource schema (or could not be normalised). */
  | 'invalid'
  /** The shadow failed to answer (timeout, unreachable, a fault). */
  | 'error';

export interface Difference {
  kind: DifferenceKind;
  field?: string;
  primary?: unknown;
  shadow?: unknown;
  /** For `error` and `invalid`: the problem code, e.g. `legacy_timeout`. */
  detail?: string;
}

export type ComparisonOutcome = 'same' | 'different' | 'error' | 'skipped';

export interface Comparison {
  system: string;
  resource: string;
  key: string;
  /** `one`: a single read; `page`: a record of a page (poll). */
  via: 'one' | 'page';
  outcome: ComparisonOutcome;
  differences: Difference[];
  at: Date;
}

export interface ShadowOptions {
  /** Fields left out: `updatedAt` (every resource) or `accounts.updatedAt`. */
  ignoreFields: readonly string[];
  pageSample: number;
  /** Called once per comparison (never throws into the read path). */
  onComparison(c: Comparison): void;
}

/** Comparisons in flight, shared by every shadowed resource. */
export class PendingComparisons {
  private readonly inflight = new Set<Promise<void>>();
  constructor(readonly max: number) {}

  get size(): number {
    return this.inflight.size;
  }

  /** Run `work` unless `max` are already in flight; false when skipped. */
  tryRun(work: () => Promise<void>): boolean {
    if (this.inflight.size >= this.max) return false;
    const p = work().finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    return true;
  }

  /** Resolves once nothing is in flight (including work started meanwhile). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}

/** The fields of two versions of a record that differ (canonical JSON equality per field). */
export function compareRecords(
  primary: Record<string, unknown>,
  shadow: Record<string, unknown>,
  ignore: ReadonlySet<string> = new Set(),
): Difference[] {
  const out: Difference[] = [];
  const fields = [...new Set([...Object.keys(primary), ...Object.keys(shadow)])].sort();
  for (const field of fields) {
    if (ignore.has(field)) continue;
    const a = primary[field];
    const b = shadow[field];
    if (canonicalJson(a ?? null) === canonicalJson(b ?? null) && field in primary === field in shadow)
      continue;
    out.push({ kind: 'field', field, primary: a ?? null, shadow: b ?? null });
  }
  return out;
}

type ShadowRead = { ok: true; record: LiveRecord | undefined } | { ok: false; err: unknown };

const settle = (p: Promise<LiveRecord | undefined>): Promise<ShadowRead> =>
  p.then(
    (record) => ({ ok: true as const, record }),
    (err: unknown) => ({ ok: false as const, err }),
  );

const isNotFound = (err: unknown) =>
  err instanceof LegacyError && err.kind === LEGACY_ERROR.fault && err.faultKind === 'not_found';

/** The shadow refused work to protect itself: no evidence either way. */
const REFUSALS: readonly string[] = [
  LEGACY_ERROR.overloaded,
  LEGACY_ERROR.circuitOpen,
  LEGACY_ERROR.maintenance,
];

function problemCode(err: unknown): string {
  if (err instanceof LegacyError) return `legacy_${err.kind}${err.legacyCode ? ` ${err.legacyCode}` : ''}`;
  return 'error';
}

/** Judge one shadow read against what the primary said (undefined: the primary has no such record). */
export function judge(
  primary: Record<string, unknown> | undefined,
  shadow: ShadowRead,
  ignore: ReadonlySet<string>,
): { outcome: ComparisonOutcome; differences: Difference[] } {
  if (!shadow.ok && !isNotFound(shadow.err)) {
    const err = shadow.err;
    if (err instanceof LegacyError && REFUSALS.includes(err.kind))
      return { outcome: 'skipped', differences: [] };
    if (err instanceof LegacyError && err.kind === LEGACY_ERROR.invalidRecord)
      return { outcome: 'different', differences: [{ kind: 'invalid', detail: problemCode(err) }] };
    return { outcome: 'error', differences: [{ kind: 'error', detail: problemCode(err) }] };
  }
  const other = shadow.ok ? shadow.record?.data : undefined;
  if (!primary && !other) return { outcome: 'same', differences: [] };
  if (!other) return { outcome: 'different', differences: [{ kind: 'missing' }] };
  if (!primary) return { outcome: 'different', differences: [{ kind: 'extra' }] };
  const differences = compareRecords(primary, other, ignore);
  return { outcome: differences.length ? 'different' : 'same', differences };
}

/** Wrap `primary` so every live read is also compared with `shadow` (same resource, other system). */
export function shadowResource(
  primary: ResourceHandle,
  shadow: ResourceHandle,
  pending: PendingComparisons,
  o: ShadowOptions,
): ResourceHandle {
  const name = primary.def.name;
  const ignore = new Set(
    o.ignoreFields.flatMap((f) =>
      f.includes('.') ? (f.startsWith(`${name}.`) ? [f.slice(name.length + 1)] : []) : [f],
    ),
  );
  const report = (key: string, via: Comparison['via'], r: ReturnType<typeof judge>) => {
    try {
      o.onComparison({ system: primary.system, resource: name, key, via, ...r, at: new Date() });
    } catch {
      // Recording is best effort; it must never disturb the agent's read.
    }
  };
  const skipped = (key: string, via: Comparison['via']) =>
    report(key, via, { outcome: 'skipped', differences: [] });

  return {
    system: primary.system,
    def: primary.def,
    normaliseKey: (id) => primary.normaliseKey(id),
    maintenance: () => primary.maintenance(),
    async fetchOne(key) {
      let other: Promise<ShadowRead> | undefined;
      let release!: () => void;
      const started = pending.tryRun(async () => {
        other = settle(shadow.fetchOne(shadow.normaliseKey(key)));
        // Held until the primary has answered and the comparison is reported.
        await new Promise<void>((r) => (release = r));
      });
      if (!started) skipped(key, 'one');
      const compare = async (primaryData: Record<string, unknown> | undefined) => {
        if (!other) return;
        report(key, 'one', judge(primaryData, await other, ignore));
      };
      try {
        const r = await primary.fetchOne(key);
        if (started) void compare(r?.data).finally(() => release());
        return r;
      } catch (err) {
        // A primary "no such record" is still evidence (the shadow may have one); other failures are not.
        if (started) void (isNotFound(err) ? compare(undefined) : Promise.resolve()).finally(() => release());
        throw err;
      }
    },
    ...(primary.fetchPage
      ? {
          async fetchPage(page: PageRequest) {
            const p = await primary.fetchPage!(page);
            for (const rec of p.records.slice(0, o.pageSample)) {
              const ok = pending.tryRun(async () =>
                report(
                  rec.key,
                  'page',
                  judge(rec.data, await settle(shadow.fetchOne(shadow.normaliseKey(rec.key))), ignore),
                ),
              );
              if (!ok) skipped(rec.key, 'page');
            }
            return p;
          },
        }
      : {}),
  };
}
