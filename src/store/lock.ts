/**
 * One process at a time on an embedded store's folder. PGlite has no guard of its own: a second
 * process that opens the same folder neither sees the first one's writes nor is seen by it, and
 * the folder ends up damaged (a test lost 774 of 1,000 rows). So the folder is locked before
 * PGlite opens it, and the lock is held until the store is closed.
 *
 * The lock is the operating system's (an open-file-description lock on Linux, flock on macOS,
 * LockFileEx on Windows, through fs-native-extensions' prebuilt addon), not a lock file whose
 * presence means "taken". The kernel drops it when the holder closes it or dies, kill -9
 * included, so a lock left behind is stale by construction: no timeout to tune, no heartbeat.
 * A heartbeat (proper-lockfile's mtime) would be wrong here: PGlite runs each statement on the
 * main thread, blocking timers for as long as it takes (21 s for a 1M-row insert and update), and
 * a lock whose heartbeat stops for longer than its stale limit is taken over while its holder
 * still writes.
 *
 * The file `<folder>.lock` stays; while held it says who holds it, for the error message.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const native = require('fs-native-extensions') as {
  /** false when another open file description holds a conflicting lock. */
  tryLock(fd: number, opts?: { shared?: boolean }): boolean;
};

/** Who holds a folder's lock, as the holder wrote it. */
export interface LockHolder {
  pid: number;
  host: string;
  /** The command, without its options or values (they may be secrets, e.g. `seam mcp --key`). */
  command: string;
  since: string;
}

/** The embedded store's folder is open in another process, or already in this one. */
export class StoreLockedError extends Error {
  readonly code = 'STORE_LOCKED';
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(lockedMessage(dir, holder));
    this.name = 'StoreLockedError';
  }
}

export interface FolderLock {
  readonly path: string;
  release(): void;
}

/** Lock `dir` (an embedded store's folder) for this process, or throw StoreLockedError at once. */
export function lockFolder(dir: string): FolderLock {
  // The real path, so two spellings of one folder (relative, through a symlink) share one lock.
  const real = fs.realpathSync(dir);
  const lockPath = `${real}.lock`;
  const fd = fs.openSync(lockPath, fs.constants.O_RDWR | fs.constants.O_CREAT);
  let locked: boolean;
  try {
    locked = native.tryLock(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw new Error(`cannot lock ${lockPath}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (!locked) {
    fs.closeSync(fd);
    throw new StoreLockedError(dir, readHolder(lockPath));
  }
  const me: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    command: commandName(process.argv),
    since: new Date().toISOString(),
  };
  try {
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, `${JSON.stringify(me)}\n`, 0);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  let released = false;
  return {
    path: lockPath,
    release() {
      if (released) return;
      released = true;
      // Emptied while still held, so it never names a process that no longer holds it. Never
      // unlinked: a process that opened the old file just before would lock a file nobody else sees.
      try {
        fs.ftruncateSync(fd, 0);
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

function readHolder(lockPath: string): LockHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid !== 'number') return undefined;
    return {
      pid: h.pid,
      host: String(h.host ?? ''),
      command: String(h.command ?? ''),
      since: String(h.since ?? ''),
    };
  } catch {
    // Being written this instant, or unreadable while locked (Windows): the holder is unknown.
    return undefined;
  }
}

/** `seam serve`, `seam keys create`: the program and up to two command words, nothing after. */
function commandName(argv: readonly string[]): string {
  const words: string[] = [];
  for (const a of argv.slice(2)) {
    if (words.length === 2 || !/^[a-z][a-z-]*$/.test(a)) break;
    words.push(a);
  }
  const prog = path.basename(argv[1] ?? 'node').replace(/\.js$/, '');
  return [prog, ...words].join(' ');
}

function lockedMessage(dir: string, h: LockHolder | undefined): string {
  const head = `the embedded store in ${dir} is already open in `;
  if (h !== undefined && h.pid === process.pid && h.host === os.hostname())
    return `${head}this process (pid ${h.pid}): close that store before opening the folder again`;
  const who =
    h === undefined
      ? 'another process'
      : `another process (pid ${h.pid}${h.host && h.host !== os.hostname() ? ` on ${h.host}` : ''}` +
        `${h.command ? `, \`${h.command}\`` : ''}${h.since ? `, since ${h.since}` : ''})`;
  return (
    `${head}${who}, and only one process may open it: ` +
    'stop that process (e.g. the running `seam serve`) and try again, ' +
    'or set DATABASE_URL to a PostgreSQL server that several processes can share'
  );
}
