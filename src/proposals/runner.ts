/**
 * The proposals' background work in one process: the sweep (expiry, escalation, stale) every
 * minute, verification and gated-write every 30 seconds, and both again promptly whenever the
 * event log moves (NOTIFY on the events channel: a poll, a batch file or another seam process
 * changed something) or a workflow step asks (`kick`). Each job runs one at a time; a request
 * arriving while it runs makes it run once more afterwards. Several processes may run all of this
 * at once: every state change is conditional, so each proposal is handled once.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { EVENTS_CHANNEL } from '../events/append.ts';
import type { Logger } from '../log.ts';
import type { ProposalDeps } from './deps.ts';
import { executeGated, gatedCandidates } from './gated.ts';
import type { ProposalService } from './service.ts';
import { markStaleProposals, sweep } from './sweep.ts';
import { runVerifications } from './verify.ts';

type Job = 'sweep' | 'verify' | 'gated' | 'stale';

/** How long to gather NOTIFYs before acting (a batch file lands thousands of events at once). */
const DEBOUNCE_MS = 200;

export class ProposalRunner {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Map<Job, Promise<void>>();
  private readonly again = new Set<Job>();
  private readonly timers = new Map<Job, NodeJS.Timeout>();
  private unlisten?: () => Promise<void>;
  private stopped = false;

  constructor(
    private readonly deps: ProposalDeps,
    private readonly service: ProposalService,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const every = (expr: string, jobs: Job[]) =>
      this.tasks.push(
        cron.schedule(expr, () => jobs.forEach((j) => this.trigger(j)), {
          name: `proposals ${jobs.join('+')}`,
          noOverlap: true,
        }),
      );
    every('* * * * *', ['sweep']);
    every('*/30 * * * * *', ['verify', 'gated']);
    this.service.onKick((what) => this.later(what));
    this.unlisten = await this.deps.store.listen(EVENTS_CHANNEL, () => {
      this.later('stale');
      this.later('verify');
    });
    // Catch up on whatever happened while no process was running.
    this.trigger('sweep');
    this.trigger('verify');
    this.trigger('gated');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.tasks) await t.destroy();
    this.tasks.length = 0;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.unlisten?.();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Run a job soon (debounced). */
  later(job: Job): void {
    if (this.stopped || this.timers.has(job)) return;
    const t = setTimeout(() => {
      this.timers.delete(job);
      this.trigger(job);
    }, DEBOUNCE_MS);
    t.unref();
    this.timers.set(job, t);
  }

  /** Run a job now, or once more after the running one. Resolves when that run is done. */
  trigger(job: Job): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const cur = this.running.get(job);
    if (cur) {
      this.again.add(job);
      return cur;
    }
    const run = this.run(job)
      .catch((err: unknown) => this.log.error({ err, job }, 'proposals background job failed; will retry'))
      .finally(() => {
        this.running.delete(job);
        if (this.again.delete(job)) void this.trigger(job);
      });
    this.running.set(job, run);
    return run;
  }

  private async run(job: Job): Promise<void> {
    switch (job) {
      case 'sweep':
        await sweep(this.deps);
        return;
      case 'stale':
        await markStaleProposals(this.deps);
        return;
      case 'verify':
        await runVerifications(this.deps);
        return;
      case 'gated':
        for (const id of await gatedCandidates(this.deps)) {
          const outcome = await executeGated(this.deps, id);
          if (outcome === 'executed') this.later('verify');
        }
        return;
    }
  }
}
