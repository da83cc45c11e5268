/**
 * Writes the small sample drops in fixtures/acme-erp/drops/ from the simulator's seed data, so the
 * files and the SOAP answers describe the same accounts, items and orders.
 *
 *   node --import tsx scripts/make-drop-samples.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import { ACCOUNT_COLUMNS, ORDER_COLUMNS, STOCK_LAYOUT } from '../adapters/acme-erp/feeds.ts';

const root = path.resolve(import.meta.dirname, '..');
const seed = (f: string) =>
  JSON.parse(fs.readFileSync(path.join(root, 'fixtures/acme-erp/seed', f), 'utf8')) as Record<
    string,
    unknown
  >[];
const out = path.join(root, 'fixtures/acme-erp/drops');
fs.mkdirSync(out, { recursive: true });

const csv = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const cents = (s: string) => {
  const t = s.trim();
  const neg = t.startsWith('-') || t.endsWith('-');
  const [w, f = '00'] = t.replace(/[-+]/g, '').split('.');
  return (neg ? -1n : 1n) * (BigInt(w!) * 100n + BigInt(f.padEnd(2, '0').slice(0, 2)));
};
const money = (c: bigint) =>
  `${c < 0n ? '-' : ''}${(c < 0n ? -c : c) / 100n}.${String((c < 0n ? -c : c) % 100n).padStart(2, '0')}`;

// ACCOUNTS: the seed as the nightly extract writes it (values as the box pads them; one name with a
// comma and one with a line break, as real customer names sometimes have).
const accounts = seed('accounts.json').map((a) => ({ ...a }) as Record<string, string>);
accounts[1]!.ACCT_NAME = 'REDWOOD BUILDERS, MERCHANTS';
accounts[2]!.ACCT_NAME = 'NORTHWIND FOODS\r\nLTD';
let total = 0n;
const lines = [ACCOUNT_COLUMNS.join(',')];
for (const a of accounts) {
  total += cents(a.CUR_BAL!);
  lines.push(ACCOUNT_COLUMNS.map((c) => csv(String(a[c] ?? '').trimEnd())).join(','));
}
lines.push(`TRAILER,${accounts.length},${money(total)}`);
fs.writeFileSync(
  path.join(out, 'ACCOUNTS_20240301.csv'),
  iconv.encode(lines.join('\r\n') + '\r\n', 'windows-1252'),
);
fs.writeFileSync(path.join(out, 'ACCOUNTS_20240301.csv.ok'), '');

// STOCK: fixed width, H/D/T.
const fixed = (fields: [string, number][], r: Record<string, string>) =>
  fields
    .map(([n, w]) =>
      String(r[n] ?? '')
        .slice(0, w)
        .padEnd(w),
    )
    .join('');
const items = seed('items.json') as Record<string, string>[];
const stock = [
  'H' + fixed(STOCK_LAYOUT.header.fields, { BUS_DATE: '20240301', CREATED: '20240301021500' }),
  ...items.map((i) => 'D' + fixed(STOCK_LAYOUT.detail.fields, i)),
  'T' + String(items.length).padStart(9, '0'),
];
fs.writeFileSync(
  path.join(out, 'STOCK_20240301.dat'),
  iconv.encode(stock.join('\r\n') + '\r\n', 'windows-1252'),
);

// ORDERS_DELTA: inserts for the seeded orders, one update, one delete.
const orders = seed('orders.json') as (Record<string, string> & { LINES: Record<string, string>[] })[];
const orderRow = (op: string, o: (typeof orders)[number], status = o.ORD_STAT) =>
  ORDER_COLUMNS.map((c) =>
    csv(
      c === 'OP'
        ? op
        : c === 'ORD_STAT'
          ? status!
          : c === 'LINES'
            ? o.LINES.map((l) =>
                [l.ITEM_SKU!.trim(), l.QTY!.trim(), l.UNIT_PRICE, l.LINE_AMT].join('|'),
              ).join(';')
            : String(o[c] ?? '').trim(),
    ),
  ).join(',');
const delta = [
  ORDER_COLUMNS.join(','),
  ...orders.map((o) => orderRow('I', o)),
  orderRow('U', orders[0]!, 'I'),
  orderRow('D', orders[1]!),
];
delta.push(`TRAILER,${delta.length - 1}`);
fs.writeFileSync(
  path.join(out, 'ORDERS_DELTA_202403011200.csv.gz'),
  zlib.gzipSync(delta.join('\r\n') + '\r\n'),
);
process.stdout.write(`wrote samples to ${out}\n`);
