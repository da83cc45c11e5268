/**
 * Scheduled changed-since polls (node-cron, per resource that declares `poll`), keeping the store
 * fresh between batch drops. Each run asks the legacy system for records changed since the last
 * successful run (minus an overlap for clock skew), page by page, and writes every changed record
 * with its event. Several seam processes may share one database: a lease row in `record_polls`
 * lets only one of them poll a resource per round. Polls go through the same guard as agent reads,
 * so they can never take more of the legacy box than its limits allow, and they skip maintenance
 * windows.
 */
import os from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import type { ResourceHandle, Systems } from '../adapter/registry.ts';
import { toProblem } from '../http/problem.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/types.ts';
import { syncRecords } from './sync.ts';

/** Ask again from this far before the last run, in case the box's clock runs behind ours. */
export const POLL_OVERLAP_MS = 5 * 60_000;
/** A poll holding its lease longer than this is presumed dead; another process may take over. */
export const POLL_LEASE_MS = 10 * 60_000;
/** Pages per run at most: a poll that would read more is cut short and resumes next round. */
export const POLL_MAX_PAGES = 1_000;

export interface PollOutcome {
  outcome: 'ok' | 'skipped_leased' | 'skipped_maintenance' | 'failed';
  pages: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Problem code when failed (e.g. legacy_timeout). */
  error?: string;
}

export class RecordPoller {
  private readonly tasks: ScheduledTask[] = [];
  private catchingUp: Promise<void> | undefined;
  private stopping = false;
  private readonly owner = `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly store: Store,
    private readonly systems: Systems,
    private readonly log: Logger,
  ) {}

  /**
   * Schedule every resource that declares a poll. With `catchUp`, resources that never completed a
   * poll (a fresh store) are polled at once, in the background, rather than at their first round:
   * agents find records right after the first start. Another process already polling one is left to it.
   */
  start(opts: { catchUp?: boolean } = {}): void {
    const pollable = this.systems
      .list()
      .flatMap((s) => s.resources)
      .filter((h) => h.def.poll && h.fetchPage);
    for (const h of pollable) {
      const task = cron.schedule(
        h.def.poll!.cron,
        () => this.runOnce(h.system, h.def.name).then(() => undefined),
        {
          name: `poll ${h.system}/${h.def.name}`,
          noOverlap: true,
        },
      );
      this.tasks.push(task);
    }
    if (pollable.length) this.log.info({ polls: pollable.length }, 'scheduled legacy polls');
    if (opts.catchUp && pollable.length) this.catchingUp = this.catchUp(pollable);
  }

  /** Poll, one after another, each of `pollable` that has no completed poll yet. */
  private async catchUp(pollable: readonly ResourceHandle[]): Promise<void> {
    try {
      const done = await this.store.query<{ system: string; resource: string }>(
        'SELECT system, resource FROM record_polls WHERE changed_since IS NOT NULL',
      );
      const polled = new Set(done.rows.map((r) => `${r.system}/${r.resource}`));
      for (const h of pollable) {
        if (this.stopping) return;
        if (polled.has(`${h.system}/${h.def.name}`)) continue;
        const out = await this.runOnce(h.system, h.def.name);
        this.log.info({ system: h.system, resource: h.def.name, ...out }, 'first poll of a new store');
      }
    } catch (err) {
      this.log.warn({ err }, 'first polls at start failed; the schedule will retry');
    }
  }

  /** Resolves once the first polls started by `start({ catchUp })` are done (at once if none). */
  async firstPolls(): Promise<void> {
    await this.catchingUp;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.catchingUp;
    for (const t of this.tasks) await t.destroy();
    this.tasks.length = 0;
  }

  /** One poll of one resource, now. Never throws: the outcome says what happened. */
  async runOnce(system: string, resource: string): Promise<PollOutcome> {
    const h = this.systems.resource(resource);
    if (!h || h.system !== system || !h.fetchPage || !h.def.poll)
      throw new Error(`${system}/${resource} has no poll`);
    const out: PollOutcome = { outcome: 'ok', pages: 0, created: 0, updated: 0, unchanged: 0, rejected: 0 };
    if (h.maintenance().active) return { ...out, outcome: 'skipped_maintenance' };

    await this.store.query(
      'INSERT INTO record_polls (system, resource) VALUES ($1, $2) ON CONFLICT (system, resource) DO NOTHING',
      [system, resource],
    );
    const claim = await this.store.query<{ changed_since: Date | null }>(
      `UPDATE record_polls SET leased_by = $3, lease_until = now() + make_interval(secs => $4),
              last_started_at = now()
        WHERE system = $1 AND resource = $2 AND (lease_until IS NULL OR lease_until < now())
        RETURNING changed_since`,
      [system, resource, this.owner, POLL_LEASE_MS / 1000],
    );
    if (claim.rowCount === 0) return { ...out, outcome: 'skipped_leased' };
    const since = claim.rows[0]!.changed_since;
    const startedAt = new Date();
    try {
      const complete = await this.pages(h, since, out);
      // A run cut short keeps the old mark, so the next one reads what this one did not reach.
      await this.finish(system, resource, 'ok', out, complete ? startedAt : undefined);
      if (out.created + out.updated > 0 || out.rejected > 0)
        this.log.info({ system, resource, ...out }, 'legacy poll applied changes');
      return out;
    } catch (err) {
      const p = toProblem(err);
      this.log.warn({ system, resource, code: p.code, err }, 'legacy poll failed; will retry next round');
      await this.finish(system, resource, p.code, out, undefined).catch(() => undefined);
      return { ...out, outcome: 'failed', error: p.code };
    }
  }

  /** Read every page; true when the listing was read to its end. */
  private async pages(h: ResourceHandle, since: Date | null, out: PollOutcome): Promise<boolean> {
    const pageSize = h.def.poll!.pageSize;
    const changedSince = since ? new Date(since.getTime() - POLL_OVERLAP_MS) : undefined;
    let cursor: string | undefined;
    do {
      const page = await h.fetchPage!({
        pageSize,
        ...(cursor ? { cursor } : {}),
        ...(changedSince ? { changedSince } : {}),
      });
      out.pages++;
      out.rejected += page.rejected;
      if (page.records.length) {
        const r = await syncRecords(
          this.store,
          { system: h.system, resource: h.def.name, entity: h.def.entity },
          page.records,
        );
        out.created += r.created;
        out.updated += r.updated;
        out.unchanged += r.unchanged;
      }
      cursor = page.next;
    } while (cursor && out.pages < POLL_MAX_PAGES);
    return cursor === undefined;
  }

  /** Release the lease; move the high-water mark only after a complete, successful run. */
  private async finish(
    system: string,
    resource: string,
    outcome: string,
    out: PollOutcome,
    startedAt?: Date,
  ) {
    await this.store.query(
      `UPDATE record_polls SET leased_by = NULL, lease_until = NULL, last_finished_at = now(),
              last_outcome = $3, last_counts = $4::jsonb,
              changed_since = COALESCE($5::timestamptz, changed_since)
        WHERE system = $1 AND resource = $2 AND leased_by = $6`,
      [system, resource, outcome, JSON.stringify(out), startedAt ?? null, this.owner],
    );
  }
}
