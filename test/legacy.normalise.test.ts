import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Account,
  Item,
  normaliseAccount,
  normaliseItem,
  normaliseOrder,
  Order,
} from '../adapters/acme-erp/resources.ts';
import { LegacyData } from '../adapters/acme-erp/simulator/index.ts';
import {
  code,
  decimalString,
  integer,
  legacyDate,
  legacyTimestamp,
  NormaliseError,
  toArray,
  toLegacyTimestamp,
} from '../src/adapter/normalise.ts';

describe('legacy normalisation helpers', () => {
  it('reads padded and signed decimal text without floats', () => {
    assert.equal(decimalString('0000015000.00', 'f'), '15000.00');
    assert.equal(decimalString('  1234.5', 'f'), '1234.50');
    assert.equal(decimalString('1234.50-', 'f'), '-1234.50', 'trailing sign');
    assert.equal(decimalString('-0000000.00', 'f'), '0.00', 'no negative zero');
    assert.equal(
      decimalString('90071992547409931.99', 'f'),
      '90071992547409931.99',
      'beyond float precision',
    );
    assert.throws(() => decimalString('12.345', 'CR_LIMIT'), /CR_LIMIT: more than 2 decimal places/);
    assert.throws(() => decimalString('N/A', 'CR_LIMIT'), NormaliseError);
    assert.throws(() => decimalString('', 'CR_LIMIT'), NormaliseError);
  });

  it('reads integers, codes, dates and one-or-many lists', () => {
    assert.equal(integer('    307', 'q'), 307);
    assert.equal(integer('  12-', 'q'), -12);
    assert.throws(() => integer('1.5', 'q'), NormaliseError);
    assert.equal(code('H', 'ACCT_STAT', { A: 'ACTIVE', H: 'HOLD' }), 'HOLD');
    assert.throws(() => code('Z', 'ACCT_STAT', { A: 'ACTIVE' }), /ACCT_STAT: unknown code "Z"/);
    assert.equal(legacyDate('21.11.2006', 'd', 'DD.MM.YYYY'), '2006-11-21');
    assert.equal(legacyDate('20240229', 'd', 'YYYYMMDD'), '2024-02-29');
    assert.equal(legacyDate('00000000', 'd', 'YYYYMMDD'), null, 'all zeros is the legacy "no date"');
    assert.throws(() => legacyDate('20230229', 'd', 'YYYYMMDD'), /not a calendar date/);
    assert.deepEqual(toArray({ a: 1 }), [{ a: 1 }]);
    assert.deepEqual(toArray(undefined), []);
  });

  it('turns the box’s local wall-clock timestamps into UTC, across daylight saving', () => {
    assert.equal(legacyTimestamp('20240115143022', 't', 'Europe/London'), '2024-01-15T14:30:22Z');
    assert.equal(legacyTimestamp('20240715143022', 't', 'Europe/London'), '2024-07-15T13:30:22Z', 'BST');
    assert.equal(
      legacyTimestamp('20241027013000', 't', 'Europe/London'),
      '2024-10-27T00:30:00Z',
      'repeated hour: earlier',
    );
    assert.equal(toLegacyTimestamp(new Date('2024-07-15T13:30:22Z'), 'Europe/London'), '20240715143022');
    assert.throws(() => legacyTimestamp('2024-01-15', 't', 'Europe/London'), /expected YYYYMMDDHHMMSS/);
  });

  it('reads every wall-clock time around offset changes like Intl does, in zones with odd offsets', () => {
    // Each instant every 5 minutes over the days of a change, formatted by Intl in the zone: that
    // wall time must read back as the earliest instant showing it (repeated hour: the earlier).
    const days: Record<string, string[]> = {
      'Europe/London': ['2024-03-30', '2024-10-26'],
      'Australia/Lord_Howe': ['2024-04-06', '2024-10-05'], // a 30-minute daylight saving shift
      'America/St_Johns': ['2024-03-09', '2024-11-02'], // -03:30 / -02:30
      'Asia/Kathmandu': ['2024-06-01'], // +05:45, no change
    };
    for (const [zone, starts] of Object.entries(days)) {
      const f = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
      const wallOf = (ms: number) =>
        f
          .formatToParts(new Date(ms))
          .filter((p) => p.type !== 'literal')
          .map((p) => p.value)
          .join('');
      for (const start of starts) {
        const first = new Map<string, number>();
        for (
          let ms = Date.parse(`${start}T00:00:00Z`);
          ms < Date.parse(`${start}T00:00:00Z`) + 3 * 86_400_000;
          ms += 300_000
        ) {
          const wall = wallOf(ms);
          if (!first.has(wall)) first.set(wall, ms);
        }
        for (const [wall, ms] of first)
          assert.equal(
            legacyTimestamp(wall, 't', zone),
            new Date(ms).toISOString().replace('.000Z', 'Z'),
            `${zone} ${wall}`,
          );
      }
    }
  });
});

describe('the ERP adapter’s normalisers on the seed data', () => {
  const data = new LegacyData();

  it('normalise every seeded account, item and order into a record that passes its schema', () => {
    for (const a of data.accounts.values()) Account.parse(normaliseAccount({ ...a }));
    for (const i of data.items.values()) Item.parse(normaliseItem({ ...i }));
    for (const o of data.orders.values())
      Order.parse(normaliseOrder({ ...o, LINES: { LINE: o.LINES } } as unknown as Record<string, unknown>));
    assert.equal(data.accounts.size, 50);
    assert.ok(data.accounts.has('004471'));
  });

  it('maps the legacy shape to readable values', () => {
    const a = normaliseAccount({ ...data.accounts.get('004471')! });
    assert.equal(a.status, 'ACTIVE');
    assert.equal(a.creditLimit, '15000.00');
    assert.equal(a.name, 'NORTHWIND TRADING LTD');
    const debtor = [...data.accounts.values()].find((x) => x.CUR_BAL.endsWith('-'))!;
    assert.match(normaliseAccount({ ...debtor }).balance, /^-\d+\.\d{2}$/);
    const blank = [...data.accounts.values()].find((x) => x.EMAIL_ADDR.trim() === '')!;
    assert.equal(normaliseAccount({ ...blank }).email, null, 'blank padding becomes null');
  });
});
