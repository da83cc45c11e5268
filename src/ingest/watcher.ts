/**
 * Watching the drop folder. chokidar tells us promptly that something changed; every change (and a
 * timer, in case an event is lost on a network share) triggers one scan of the folder, which finds
 * the files that are ready and ingests them one at a time, per feed in business-date order. The
 * first scan runs at start, so files dropped while seam was down are found.
 *
 * Ready means: the feed's done file exists, or size and mtime have not moved for the stable time.
 * A file being written is never read. A name that matches no feed is moved to failed/ once stable.
 */
import fs from 'node:fs';
import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import type { Logger } from '../log.ts';
import { FileRejected } from './errors.ts';
import { ARCHIVE, FAILED, ensureDropDirs, isIgnoredName } from './files.ts';
import type { IngestOutcome, Ingestor } from './ingest.ts';

export interface WatcherOptions {
  dropDir: string;
  stableMs: number;
  scanIntervalMs: number;
  log: Logger;
  onOutcome?: (o: IngestOutcome) => void;
}

interface Seen {
  size: number;
  mtimeMs: number;
  since: number;
}

export class DropWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly seen = new Map<string, Seen>();
  private readonly doneSuffixes: string[];

  constructor(
    private readonly ingestor: Ingestor,
    private readonly opts: WatcherOptions,
  ) {
    this.doneSuffixes = [
      ...new Set(
        ingestor.feeds.flatMap((f) => (f.readiness.kind === 'doneFile' ? [f.readiness.suffix] : [])),
      ),
    ];
  }

  async start(): Promise<void> {
    ensureDropDirs(this.opts.dropDir);
    const root = path.resolve(this.opts.dropDir);
    this.watcher = chokidar.watch(root, {
      depth: 0,
      followSymlinks: false,
      ignoreInitial: true,
      ignored: (p: string) =>
        p !== root && [ARCHIVE, FAILED].includes(path.relative(root, p).split(path.sep)[0]!),
    });
    this.watcher.on('all', () => this.poke());
    this.watcher.on('error', (err) => this.opts.log.warn({ err }, 'drop folder watcher error'));
    await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    this.timer = setInterval(() => this.poke(), this.opts.scanIntervalMs);
    this.timer.unref();
    this.poke();
  }

  /** Resolves when the current scan (and any requested after it) has finished. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Ask for a scan; coalesces with one already running. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.scan();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.opts.log.error({ err }, 'drop folder scan failed; will retry');
      } finally {
        this.running = undefined;
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.wake) clearTimeout(this.wake);
    await this.watcher?.close();
    await this.idle();
  }

  private async scan(): Promise<void> {
    const dir = this.opts.dropDir;
    const now = Date.now();
    const ready: { name: string; feed: string; at: number }[] = [];
    let nextCheck = Infinity;
    const names = fs.readdirSync(dir);
    const present = new Set(names);
    for (const k of this.seen.keys()) if (!present.has(k)) this.seen.delete(k);
    for (const name of names) {
      if (this.stopped) return;
      if (isIgnoredName(name, this.doneSuffixes) || name === ARCHIVE || name === FAILED) continue;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(path.join(dir, name));
      } catch {
        continue;
      }
      if (st.isDirectory()) continue;
      let match;
      try {
        match = this.ingestor.match(name);
      } catch (err) {
        if (!(err instanceof FileRejected)) throw err;
      }
      const feed = match?.feed;
      if (feed?.readiness.kind === 'doneFile' && !st.isSymbolicLink()) {
        if (present.has(name + feed.readiness.suffix))
          ready.push({ name, feed: feed.name, at: match!.businessAt.getTime() });
        continue;
      }
      // Stable size (and everything that is not a known feed: it must stop changing before we judge it).
      const stableMs =
        feed?.readiness.kind === 'stableSize'
          ? (feed.readiness.ms ?? this.opts.stableMs)
          : this.opts.stableMs;
      const prev = this.seen.get(name);
      if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
        this.seen.set(name, { size: st.size, mtimeMs: st.mtimeMs, since: now });
        nextCheck = Math.min(nextCheck, Math.max(stableMs, 50));
        continue;
      }
      const waited = now - prev.since;
      if (waited >= stableMs)
        ready.push({ name, feed: feed?.name ?? '', at: match?.businessAt.getTime() ?? 0 });
      else nextCheck = Math.min(nextCheck, stableMs - waited);
    }
    // One feed's files in business-date order; feeds one after another.
    ready.sort((a, b) => a.feed.localeCompare(b.feed) || a.at - b.at || a.name.localeCompare(b.name));
    let retry = false;
    // A feed whose file could not be taken now (another process holds the feed) gets no later file
    // in this pass either: the other process may release the feed between two of our attempts, and
    // a later snapshot applied first would make the earlier one out of order.
    const deferred = new Set<string>();
    for (const r of ready) {
      if (this.stopped) return;
      if (r.feed && deferred.has(r.feed)) continue;
      const outcome = await this.ingestor.ingest(path.join(dir, r.name));
      if (outcome.status === 'busy' || outcome.status === 'retry') {
        retry = true;
        if (r.feed) deferred.add(r.feed);
        this.opts.onOutcome?.(outcome);
        continue;
      }
      this.seen.delete(r.name);
      this.opts.onOutcome?.(outcome);
    }
    if (retry) nextCheck = Math.min(nextCheck, 1000);
    if (nextCheck !== Infinity && !this.stopped) {
      if (this.wake) clearTimeout(this.wake);
      this.wake = setTimeout(() => this.poke(), nextCheck + 10);
      this.wake.unref();
    }
  }
}
