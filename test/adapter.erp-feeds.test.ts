import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountsFeed } from '../adapters/acme-erp/feeds.ts';
import { normaliseAccount } from '../adapters/acme-erp/resources.ts';
import { BOX_TIME_ZONE } from '../adapters/acme-erp/soap.ts';
import { NormaliseError, legacyTimestamp } from '../src/adapter/normalise.ts';

const base: Record<string, string> = {
  ACCT_NO: '004471',
  ACCT_NAME: 'ULSTER FOODS LTD',
  ACCT_STAT: 'A',
  CR_LIMIT: '5000.00',
  CUR_BAL: '12.50',
  CURR_CD: 'GBP',
  EMAIL_ADDR: 'ops@example.com',
  PHONE_NO: '01632 960000',
  OPEN_DT: '01.02.2003',
  LAST_UPD: '20240301120000',
};

/** The feed's row schema and normaliseAccount agree: the same record, or the same first problem. */
function agree(raw: Record<string, string>): void {
  const viaFeed = accountsFeed.row.safeParse(raw);
  let direct: { data: unknown } | { field: string; message: string };
  try {
    direct = { data: normaliseAccount(raw) };
  } catch (err) {
    assert.ok(err instanceof NormaliseError, String(err));
    direct = { field: err.field, message: err.message };
  }
  const got = viaFeed.success
    ? { data: viaFeed.data }
    : { field: String(viaFeed.error.issues[0]!.path[0]), message: viaFeed.error.issues[0]!.message };
  assert.deepEqual(got, direct, JSON.stringify(raw));
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const wall = (d: Date, h: number, mi: number, s: number) =>
  `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(h)}${pad(mi)}${pad(s)}`;

describe('ACCOUNTS feed rows read exactly as normaliseAccount reads them (its memos change no answer)', () => {
  it('timestamps on every day 1968-2040, and every five minutes of the days the box changes its clocks', () => {
    let changeDays = 0;
    for (let ms = Date.UTC(1968, 0, 1); ms <= Date.UTC(2040, 11, 31); ms += 86_400_000) {
      const d = new Date(ms);
      const times: [number, number, number][] = [
        [0, 0, 0],
        [0, 59, 59],
        [1, 0, 0],
        [1, 30, 0],
        [2, 0, 0],
        [12, 34, 56],
        [23, 0, 0],
        [23, 59, 59],
      ];
      const offset = (t: string) =>
        Date.parse(
          `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12)}Z`,
        ) - Date.parse(legacyTimestamp(t, 't', BOX_TIME_ZONE)!);
      if (offset(wall(d, 0, 0, 0)) !== offset(wall(d, 23, 59, 59))) {
        changeDays++;
        for (let m = 0; m < 24 * 60; m += 5) times.push([Math.floor(m / 60), m % 60, m % 7]);
      }
      for (const [h, mi, s] of times) agree({ ...base, LAST_UPD: wall(d, h, mi, s) });
    }
    assert.ok(changeDays > 100, `clock changes seen: ${changeDays}`);
  });

  it('blank, zero and impossible timestamps, and opening dates read or refused alike', () => {
    for (const LAST_UPD of ['', '00000000000000', '20240231120000', '20240301250000', '2024030112000', 'x'])
      agree({ ...base, LAST_UPD });
    for (const OPEN_DT of [
      '',
      '00.00.0000',
      '29.02.2000',
      '29.02.1900',
      '31.04.2001',
      '1.2.2003',
      '01.02.2003',
    ])
      for (let twice = 0; twice < 2; twice++) agree({ ...base, OPEN_DT });
  });

  it('a row with several bad fields names the same one first', () => {
    agree({ ...base, ACCT_STAT: 'Z', OPEN_DT: '31.02.2001', LAST_UPD: 'x' });
    agree({ ...base, OPEN_DT: '31.02.2001', LAST_UPD: 'x' });
    agree({ ...base, CUR_BAL: 'abc', LAST_UPD: 'x' });
  });
});
