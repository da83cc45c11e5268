/**
 * The drop folder on disk: which names are candidates, path safety, business dates from names, and
 * moving a handled file (with its done file) to archive/ or failed/ with a reason file beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Feed } from '../adapter/feed.ts';
import { FileRejected } from './errors.ts';

export const ARCHIVE = 'archive';
export const FAILED = 'failed';
/** Suffix of the machine-readable reason file written beside every moved file. */
export const REASON_SUFFIX = '.reason.json';

/** Names seam never treats as drops: hidden files and partial uploads by habit of common tools. */
export function isIgnoredName(name: string, doneSuffixes: readonly string[]): boolean {
  if (name.startsWith('.') || name.startsWith('~')) return true;
  if (/\.(tmp|part|partial|filepart|crdownload|swp)$/i.test(name)) return true;
  return doneSuffixes.some((s) => name.endsWith(s));
}

export function ensureDropDirs(dropDir: string): void {
  fs.mkdirSync(path.join(dropDir, ARCHIVE), { recursive: true });
  fs.mkdirSync(path.join(dropDir, FAILED), { recursive: true });
}

/**
 * Resolve a path given by a caller (CLI) or the watcher to a regular file directly inside the drop
 * folder. Refuses symlinks (the file or a parent that leads elsewhere) and anything outside.
 */
export function checkPath(dropDir: string, file: string): { name: string; full: string } {
  const dropReal = fs.realpathSync(dropDir);
  const abs = path.resolve(file);
  const parent = path.dirname(abs);
  let parentReal: string;
  try {
    parentReal = fs.realpathSync(parent);
  } catch {
    throw new FileRejected('unreadable', `folder ${parent} does not exist`);
  }
  const name = path.basename(abs);
  if (parentReal !== dropReal)
    throw new FileRejected(
      'outside_drop_folder',
      `${file} is not directly inside the drop folder ${dropDir}`,
      {
        resolvedFolder: parentReal,
      },
    );
  const full = path.join(dropReal, name);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(full);
  } catch {
    throw new FileRejected('unreadable', `${name} does not exist`);
  }
  if (st.isSymbolicLink())
    throw new FileRejected('symlink', `${name} is a symbolic link; drops must be regular files`, {
      target: safeReadlink(full),
    });
  if (!st.isFile()) throw new FileRejected('not_a_file', `${name} is not a regular file`);
  return { name, full };
}

function safeReadlink(p: string): string | null {
  try {
    return fs.readlinkSync(p);
  } catch {
    return null;
  }
}

export interface NameMatch {
  feed: Feed;
  /** YYYY-MM-DD */
  businessDate: string;
  /** Date and time (UTC) for ordering files of one feed. */
  businessAt: Date;
}

/** Which feed a name belongs to and its business date; undefined when no pattern matches. */
export function matchName(feeds: readonly Feed[], name: string): NameMatch | undefined {
  for (const feed of feeds) {
    const m = feed.pattern.exec(name);
    if (!m) continue;
    const raw = m.groups?.date ?? '';
    const parsed = parseBusinessDate(raw, feed.dateFormat);
    if (!parsed)
      throw new FileRejected(
        'bad_business_date',
        `${name}: ${JSON.stringify(raw)} is not a valid ${feed.dateFormat}`,
        {
          feed: feed.name,
        },
      );
    return { feed, ...parsed };
  }
  return undefined;
}

function parseBusinessDate(
  raw: string,
  format: Feed['dateFormat'],
): { businessDate: string; businessAt: Date } | undefined {
  const re = format === 'YYYYMMDD' ? /^(\d{4})(\d{2})(\d{2})$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/;
  const m = re.exec(raw);
  if (!m) return undefined;
  const [y, mo, d, h = '00', mi = '00'] = m.slice(1);
  const at = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)));
  if (
    at.getUTCFullYear() !== Number(y) ||
    at.getUTCMonth() !== Number(mo) - 1 ||
    at.getUTCDate() !== Number(d) ||
    at.getUTCHours() !== Number(h) ||
    at.getUTCMinutes() !== Number(mi)
  )
    return undefined;
  return { businessDate: `${y}-${mo}-${d}`, businessAt: at };
}

/**
 * Move a handled file into archive/ or failed/ (same file system: an atomic rename), write its reason
 * file first, and take the done file along. Returns the new path relative to the drop folder.
 */
export function moveHandled(
  dropDir: string,
  name: string,
  to: typeof ARCHIVE | typeof FAILED,
  reason: Record<string, unknown>,
  doneSuffix: string | undefined,
  uniqueTag: string,
): string {
  const dir = path.join(dropDir, to);
  fs.mkdirSync(dir, { recursive: true });
  let target = name;
  if (fs.existsSync(path.join(dir, target))) target = `${name}.${uniqueTag}`;
  const reasonPath = path.join(dir, target + REASON_SUFFIX);
  const tmp = reasonPath + '.tmp';
  fs.writeFileSync(
    tmp,
    JSON.stringify({ file: name, movedTo: `${to}/${target}`, ...reason }, null, 2) + '\n',
  );
  fs.renameSync(tmp, reasonPath);
  fs.renameSync(path.join(dropDir, name), path.join(dir, target));
  if (doneSuffix) {
    const done = path.join(dropDir, name + doneSuffix);
    if (fs.existsSync(done)) fs.renameSync(done, path.join(dir, target + doneSuffix));
  }
  return `${to}/${target}`;
}
