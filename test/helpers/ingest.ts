/** Ingest test helpers: a drop folder in a temp dir, an Ingestor over the demo feeds, file writers. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import { feeds } from '../../adapters/acme-erp/feeds.ts';
import { ensureDropDirs } from '../../src/ingest/files.ts';
import { Ingestor, type SystemFeed } from '../../src/ingest/ingest.ts';
import type { Store } from '../../src/store/types.ts';
import { silentLog, type StoreTarget } from './store.ts';

export const demoFeeds: SystemFeed[] = feeds.map((f) => ({ ...f, system: 'erp' }));

export function tempDrop(label = 'drop'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `seam-${label}-`));
  ensureDropDirs(dir);
  return dir;
}

export function ingestor(
  store: Store,
  dropDir: string,
  target: StoreTarget,
  opts: { maxBadShare?: number; maxLineChars?: number; deleteGuard?: boolean } = {},
): Ingestor {
  return new Ingestor({
    store,
    log: silentLog,
    // Tests with a handful of records switch off the feeds' mass-deletion guard unless they test it.
    feeds: opts.deleteGuard ? demoFeeds : demoFeeds.map((f) => ({ ...f, maxDeleteShare: undefined })),
    dropDir,
    ...(target.url ? { copyUrl: target.url } : {}),
    maxBadShare: opts.maxBadShare ?? 0.01,
    maxLineChars: opts.maxLineChars ?? 1 << 20,
  });
}

/** Write a file into the drop folder: text encoded as given (default windows-1252), optional gzip. */
export function drop(
  dir: string,
  name: string,
  content: string | Buffer,
  opts: { encoding?: string; gzip?: boolean; ok?: boolean } = {},
): string {
  let bytes = typeof content === 'string' ? iconv.encode(content, opts.encoding ?? 'windows-1252') : content;
  if (opts.gzip) bytes = zlib.gzipSync(bytes);
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  if (opts.ok) fs.writeFileSync(p + '.ok', '');
  return p;
}

export const ACCOUNT_HEADER =
  'ACCT_NO,ACCT_NAME,ACCT_STAT,CR_LIMIT,CUR_BAL,CURR_CD,EMAIL_ADDR,PHONE_NO,OPEN_DT,LAST_UPD';

/** One accounts CSV row (raw legacy values). */
export function accountLine(no: string, name: string, balance: string, status = 'A'): string {
  const q = /[",\r\n]/.test(name) ? `"${name.replaceAll('"', '""')}"` : name;
  return `${no},${q},${status},5000.00,${balance},GBP,ops@x${no}.example.com,01632 960000,01.02.2003,20240301120000`;
}

/** A whole accounts file with a correct trailer unless one is given. */
export function accountsCsv(lines: string[], trailer?: string): string {
  const sum = lines.reduce((acc, l) => {
    const m = /,(-?\d+)\.(\d{2}),[A-Z]{3},/.exec(l);
    if (!m) return acc;
    const cents = BigInt(m[1]!) * 100n + (m[1]!.startsWith('-') ? -1n : 1n) * BigInt(m[2]!);
    return acc + cents;
  }, 0n);
  const neg = sum < 0n;
  const abs = neg ? -sum : sum;
  const total = `${neg ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
  return [ACCOUNT_HEADER, ...lines, trailer ?? `TRAILER,${lines.length},${total}`].join('\r\n') + '\r\n';
}
