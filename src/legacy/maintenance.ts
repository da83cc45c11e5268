/**
 * Maintenance windows: node-cron expressions in which every matching minute is "inside" the window
 * (`* 1-2 * * *` = 01:00-02:59 daily, `* * * * 0` = all Sunday). While inside, seam does not call
 * the legacy box; reads are served from the store, marked stale.
 */
import cron, { type ScheduledTask } from 'node-cron';

export interface MaintenanceState {
  active: boolean;
  /** When the current window ends (first minute no expression matches), if active. */
  until?: Date;
}

/** Longest window we look ahead through to find its end (beyond that we just say "a day"). */
const MAX_LOOKAHEAD_MINUTES = 7 * 24 * 60;

export class MaintenanceWindows {
  private readonly tasks: ScheduledTask[];

  constructor(
    readonly expressions: readonly string[],
    readonly timezone: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.tasks = expressions.map((expr) => {
      if (expr.trim().split(/\s+/).length !== 5)
        throw new Error(`maintenance window "${expr}" must have 5 fields (minute hour day month weekday)`);
      if (!cron.validate(expr))
        throw new Error(`maintenance window "${expr}" is not a valid cron expression`);
      // Never started: used only to ask whether a minute matches.
      return cron.createTask(expr, () => undefined, { timezone, name: `maintenance ${expr}` });
    });
  }

  /** The last minute asked about and its answer: every legacy call asks, mostly about the same minute. */
  private last = { minute: NaN, inside: false };

  /** Is `at` inside a window? */
  matches(at: Date): boolean {
    if (this.tasks.length === 0) return false;
    const minute = Math.floor(at.getTime() / 60_000) * 60_000;
    if (minute === this.last.minute) return this.last.inside;
    // Matching works out the minute's date parts in the window's time zone (Intl): tens of µs.
    const inside = this.tasks.some((t) => t.match(new Date(minute)));
    this.last = { minute, inside };
    return inside;
  }

  state(at: Date = this.now()): MaintenanceState {
    if (!this.matches(at)) return { active: false };
    let t = Math.floor(at.getTime() / 60_000) * 60_000;
    for (let i = 0; i < MAX_LOOKAHEAD_MINUTES; i++) {
      t += 60_000;
      if (!this.matches(new Date(t))) return { active: true, until: new Date(t) };
    }
    return { active: true, until: new Date(t) };
  }

  close(): void {
    for (const t of this.tasks) void t.destroy();
  }
}
