/**
 * The batched writer behind `audit.record(...)`. Recording a read must not slow the read: entries
 * wait in memory and go to the store in one INSERT every `flushMs` or as soon as `batchMax` are
 * waiting. Nothing answered is lost on an orderly stop: `stop()` drains the queue (retrying while
 * the store is briefly away), and whatever still cannot be written is logged whole, at error level,
 * so it can be replayed from the logs.
 */
import type { Logger } from '../log.ts';
import type { Store } from '../store/types.ts';
import { appendEntries } from './append.ts';
import type { PreparedEntry } from './types.ts';

interface Pending {
  entry: PreparedEntry;
  /** Absent for entries nobody waits for (`add`). */
  done?: () => void;
}

export interface WriterOptions {
  flushMs: number;
  batchMax: number;
  /** How long `stop()` keeps retrying a failing store before giving up. */
  stopTimeoutMs?: number;
  /** Called after each successful batch (metrics). */
  onWritten?: (count: number) => void;
}

/** Above this many waiting entries (store down for a long time) new ones go to the log instead. */
const MAX_QUEUE = 200_000;

export class AuditWriter {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: WriterOptions,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  /** Queue one entry; resolves once it is in the store. Never rejects. */
  enqueue(entry: PreparedEntry): Promise<void> {
    return new Promise<void>((done) => this.push({ entry, done }));
  }

  /** Queue one entry nobody waits for (one per request: no promise to make and keep). */
  add(entry: PreparedEntry): void {
    this.push({ entry });
  }

  private push(p: Pending): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.log.error({ auditEntry: p.entry }, 'audit queue full; entry written to the log instead');
      p.done?.();
      return;
    }
    this.queue.push(p);
    if (this.queue.length >= this.opts.batchMax) this.kick();
    else this.schedule(this.opts.flushMs);
  }

  /** Write everything queued so far (and anything queued meanwhile). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.writing) {
      if (!this.writing) this.kick();
      await this.writing;
      if (this.failures > 0 && this.queue.length > 0) throw new Error('audit store write failed');
    }
  }

  /** Drain and stop; later entries are written straight away, one batch each. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + (this.opts.stopTimeoutMs ?? 10_000);
    for (;;) {
      try {
        await this.flush();
        return;
      } catch {
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const lost = this.queue.splice(0);
    this.log.error(
      { auditEntries: lost.map((p) => p.entry), count: lost.length },
      'audit entries could not be stored before shutdown; they are in this log line',
    );
    for (const p of lost) p.done?.();
  }

  private schedule(ms: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, ms);
    this.timer.unref();
  }

  private kick(): void {
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, Math.max(this.opts.batchMax, 1) * 4);
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) {
        // More arrived while writing: go again now if a batch is full, else on the timer;
        // after a failure, back off so a dead store is not hammered.
        if (this.failures > 0) this.schedule(Math.min(5000, 100 * 2 ** this.failures));
        else if (this.queue.length >= this.opts.batchMax || this.stopped) this.kick();
        else this.schedule(this.opts.flushMs);
      }
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      await this.store.transaction((tx) =>
        appendEntries(
          tx,
          batch.map((p) => p.entry),
        ),
      );
      this.failures = 0;
      for (const p of batch) p.done?.();
      this.opts.onWritten?.(batch.length);
    } catch (err) {
      this.failures += 1;
      this.queue.unshift(...batch);
      if (this.failures === 1 || this.failures % 20 === 0)
        this.log.error({ err, pending: this.queue.length }, 'audit batch failed; will retry');
    }
  }
}
