/**
 * Writes ACCOUNTS_YYYYMMDD.csv snapshots the way the legacy box does (windows-1252, CRLF, header,
 * quoted fields with embedded commas and newlines, trailer `TRAILER,<count>,<sum of CUR_BAL>`),
 * streaming, at any size. Snapshot `a` has rows 0..n-1; snapshot `b` is `a` with 1% of rows
 * changed, 0.1% deleted and 0.1% added, and `expectedDiff` says exactly which.
 *
 *   node --import tsx bench/generate-accounts.ts --rows 1000000 --out /tmp/drop [--digits 8] [--variant a|b|both]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';
import { ACCOUNT_COLUMNS } from '../adapters/acme-erp/feeds.ts';

export type RawAccount = Record<(typeof ACCOUNT_COLUMNS)[number], string>;

const NAMES = ['NORTHWIND', 'BRIGHTON', 'REDWOOD', 'ULSTER', 'CAFÉ MÜLLER', 'SØRENSEN', "O'BRIEN", 'ÅLAND'];
const KINDS = ['FOODS LTD', 'HARDWARE', 'BUILDERS MERCHANTS', 'TRADING, LTD', 'SUPPLIES "WHOLESALE"'];
const CURRENCIES = ['GBP', 'EUR', 'USD'];
const STATUS = ['A', 'A', 'A', 'A', 'H', 'C'];

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const money = (cents: number) =>
  `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${pad(Math.abs(cents) % 100, 2)}`;

/** Row i of a snapshot; version 2 is the "changed" form (balance and status moved). */
export function account(i: number, version: 1 | 2, digits: number): RawAccount {
  const h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  let name = `${NAMES[h % NAMES.length]} ${KINDS[(h >>> 8) % KINDS.length]} ${i}`;
  if (i % 5000 === 17) name = `${NAMES[h % NAMES.length]}\r\nBRANCH ${i}`;
  const balance = ((h >>> 4) % 5_000_000) - 1_000_000 + (version === 2 ? 12_345 : 0);
  const d = new Date(Date.UTC(2024, 0, 1) + (h % (86400 * 200)) * 1000);
  const stamp = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return {
    ACCT_NO: pad(i, digits),
    ACCT_NAME: name,
    ACCT_STAT:
      version === 2 && STATUS[(h >>> 3) % STATUS.length] === 'A' ? 'H' : STATUS[(h >>> 3) % STATUS.length]!,
    CR_LIMIT: money(((h >>> 6) % 100) * 100_000),
    CUR_BAL: money(balance),
    CURR_CD: CURRENCIES[(h >>> 2) % 3]!,
    EMAIL_ADDR: i % 7 === 0 ? '' : `accounts@c${i}.example.co.uk`,
    PHONE_NO: `01632 ${pad(h % 1_000_000, 6)}`,
    OPEN_DT: `${pad((h % 28) + 1, 2)}.${pad(((h >>> 5) % 12) + 1, 2)}.${1990 + ((h >>> 7) % 30)}`,
    LAST_UPD: stamp,
  };
}

export const isChanged = (i: number) => i % 100 === 7;
export const isDeleted = (i: number) => i % 1000 === 3;

/** Snapshot b: same keys as a, except 0.1% deleted and n/1000 added after the end. */
export function* snapshotRows(n: number, variant: 'a' | 'b', digits: number): Generator<RawAccount> {
  for (let i = 0; i < n; i++) {
    if (variant === 'b' && isDeleted(i)) continue;
    yield account(i, variant === 'b' && isChanged(i) ? 2 : 1, digits);
  }
  if (variant === 'b') for (let j = 0; j < Math.floor(n / 1000); j++) yield account(n + j, 1, digits);
}

/** Which keys snapshot b creates, updates and deletes relative to a. */
export function expectedDiff(
  n: number,
  digits: number,
): { created: string[]; updated: string[]; deleted: string[] } {
  const created: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  for (let i = 0; i < n; i++) {
    if (isDeleted(i)) deleted.push(pad(i, digits));
    else if (isChanged(i)) updated.push(pad(i, digits));
  }
  for (let j = 0; j < Math.floor(n / 1000); j++) created.push(pad(n + j, digits));
  return { created, updated, deleted };
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Stream rows into a windows-1252 CSV with header and trailer; returns the count and the total. */
export async function writeAccountsCsv(
  file: string,
  rows: Iterable<RawAccount>,
): Promise<{ rows: number; total: string }> {
  const out = fs.createWriteStream(file);
  let failed: Error | undefined;
  out.on('error', (err) => (failed = err));
  const write = (s: string) =>
    new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed);
      if (out.write(iconv.encode(s, 'windows-1252'))) resolve();
      else out.once('drain', resolve);
    });
  let count = 0;
  let cents = 0n;
  let buf = ACCOUNT_COLUMNS.join(',') + '\r\n';
  for (const r of rows) {
    count++;
    const [w, f = '00'] = r.CUR_BAL.replace('-', '').split('.');
    const v = BigInt(w!) * 100n + BigInt(f);
    cents += r.CUR_BAL.startsWith('-') ? -v : v;
    buf += ACCOUNT_COLUMNS.map((c) => csvField(r[c])).join(',') + '\r\n';
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = '';
    }
  }
  const neg = cents < 0n;
  const abs = neg ? -cents : cents;
  const total = `${neg ? '-' : ''}${abs / 100n}.${pad(Number(abs % 100n), 2)}`;
  buf += `TRAILER,${count},${total}\r\n`;
  await write(buf);
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return { rows: count, total };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      out: { type: 'string', default: '.' },
      digits: { type: 'string', default: '8' },
      variant: { type: 'string', default: 'both' },
      prefix: { type: 'string', default: 'ACCOUNTS' },
    },
  });
  const n = Number(values.rows);
  const digits = Number(values.digits);
  fs.mkdirSync(values.out!, { recursive: true });
  for (const [variant, date] of [
    ['a', '20240301'],
    ['b', '20240302'],
  ] as const) {
    if (values.variant !== 'both' && values.variant !== variant) continue;
    const file = path.join(values.out!, `${values.prefix}_${date}.csv`);
    const t0 = performance.now();
    const r = await writeAccountsCsv(file, snapshotRows(n, variant, digits));
    fs.writeFileSync(file + '.ok', '');
    console.log(
      `${file}: ${r.rows} rows, total ${r.total}, ${(fs.statSync(file).size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
