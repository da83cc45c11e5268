import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accessModule } from '../src/access/module.ts';
import { auditModule } from '../src/audit/module.ts';
import { bound, localTime, startOfDay } from '../src/audit/dates.ts';
import { csvCell } from '../src/audit/query.ts';
import type { Store } from '../src/store/types.ts';
import { issueHuman } from './helpers/humans.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

describe('plain dates in a time zone', () => {
  it('turns a date into the zone’s midnight, DST days included', () => {
    assert.equal(startOfDay('2026-11-17', 'UTC').toISOString(), '2026-11-17T00:00:00.000Z');
    assert.equal(startOfDay('2026-11-17', 'Europe/Berlin').toISOString(), '2026-11-16T23:00:00.000Z');
    assert.equal(startOfDay('2026-07-01', 'Europe/Berlin').toISOString(), '2026-06-30T22:00:00.000Z');
    assert.equal(startOfDay('2026-11-17', 'America/New_York').toISOString(), '2026-11-17T05:00:00.000Z');
    // 2026-03-29: Berlin springs forward; the day has 23 hours.
    const from = bound('2026-03-29', 'Europe/Berlin', 'from').getTime();
    const to = bound('2026-03-29', 'Europe/Berlin', 'to').getTime();
    assert.equal((to - from) / 3_600_000, 23);
    assert.equal(
      bound('2026-11-17T10:00:00Z', 'Europe/Berlin', 'to').toISOString(),
      '2026-11-17T10:00:00.001Z',
    );
    assert.throws(() => bound('2026-02-30', 'UTC', 'from'), RangeError);
    assert.throws(() => bound('last tuesday', 'UTC', 'from'), RangeError);
    assert.equal(localTime(new Date('2026-11-16T23:30:00Z'), 'Europe/Berlin'), '2026-11-17 00:30:00');
  });

  it('makes CSV cells spreadsheet-safe', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell(null), '');
  });
});

for (const target of storeTargets()) {
  describe(`GET /v1/audit on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    let auditor: { headers: Record<string, string> };
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, {
        modules: [auditModule, accessModule],
        env: { SEAM_TIMEZONE: 'Europe/Berlin' },
      });
      const audit = svc.ctx.services.audit!;
      const agent = (name: string) => ({ kind: 'agent' as const, id: `key-${name}`, name });
      const at = (iso: string) => new Date(iso);
      // "Last Tuesday" is 2026-11-17 in Berlin: 2026-11-16T23:00Z .. 2026-11-17T23:00Z.
      for (const e of [
        { actor: agent('billing-bot'), records: ['accounts/004471'], at: at('2026-11-16T22:59:59Z') }, // Monday in Berlin
        { actor: agent('billing-bot'), records: ['accounts/004471'], at: at('2026-11-16T23:00:00Z') }, // Tuesday 00:00
        { actor: agent('billing-bot'), records: ['accounts/004472'], at: at('2026-11-17T09:00:00Z') },
        {
          actor: agent('billing-bot'),
          records: ['accounts/004471', 'items/9'],
          at: at('2026-11-17T22:59:59Z'),
        },
        { actor: agent('billing-bot'), records: ['accounts/004471'], at: at('2026-11-17T23:00:00Z') }, // Wednesday
        { actor: agent('other-bot'), records: ['accounts/004471'], at: at('2026-11-17T10:00:00Z') },
      ])
        await audit.record({ ...e, action: 'GET /v1/accounts/:id', status: 200, input: { note: 'a,"b"' } });
      await audit.record({
        actor: { kind: 'human', id: 'u1', name: 'ana' },
        action: 'proposal.approve',
        records: ['proposals/p1', 'accounts/004471'],
        at: at('2026-11-17T12:00:00Z'),
      });
      await audit.flush();
      auditor = await issueHuman(store, { roles: ['auditor'] });
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });

    const get = async (q: string, headers: Record<string, string> = {}) =>
      call(svc.url, 'GET', `/v1/audit?${q}`, { headers: { ...auditor.headers, ...headers } });
    type Page = {
      items: { at: string; actor: { name: string }; records: string[]; action: string }[];
      nextCursor: number | null;
    };

    it('answers "what did billing-bot do with account 4471 last Tuesday" in one query', async () => {
      const r = await get('actor=billing-bot&record=accounts/4471&from=2026-11-17&to=2026-11-17');
      assert.equal(r.status, 200, r.text);
      const { items } = r.body as Page;
      assert.deepEqual(
        items.map((i) => i.at),
        ['2026-11-17T22:59:59.000Z', '2026-11-16T23:00:00.000Z'],
      );
      assert.ok(items.every((i) => i.actor.name === 'billing-bot'));
    });

    it('filters by record alone (exact, zero-padded or bare key), by action prefix, and by zone override', async () => {
      const exact = (await get('record=accounts/004471')).body as Page;
      assert.equal(exact.items.length, 6);
      assert.equal(((await get('record=4471')).body as Page).items.length, 6);
      assert.equal(((await get('record=accounts/4472')).body as Page).items.length, 1);
      const approvals = (await get('action=proposal.*')).body as Page;
      assert.deepEqual(
        approvals.items.map((i) => i.actor.name),
        ['ana'],
      );
      const utcDay = (await get('actor=billing-bot&from=2026-11-16&to=2026-11-16&tz=UTC')).body as Page;
      assert.equal(utcDay.items.length, 2);
    });

    it('pages with a cursor, newest first, and caps the page size', async () => {
      const first = (await get('limit=4')).body as Page;
      assert.equal(first.items.length, 4);
      assert.ok(first.nextCursor);
      const second = (await get(`limit=4&cursor=${first.nextCursor}`)).body as Page;
      const seen = [...first.items, ...second.items].map((i) => JSON.stringify(i));
      assert.equal(new Set(seen).size, seen.length, 'no overlap');
      assert.ok(second.items.length >= 3);
      const tooBig = await get('limit=100000');
      assert.equal(tooBig.status, 400);
      assert.equal((tooBig.body as { code: string }).code, 'page_too_large');
    });

    it('exports CSV by format=csv or Accept: text/csv', async () => {
      const r = await get('actor=billing-bot&record=accounts/004471&format=csv');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /text\/csv/);
      const lines = r.text.trim().split('\r\n');
      assert.match(lines[0]!, /^seq,time_utc,time_local,actor_kind,actor_name/);
      assert.equal(lines.length, 1 + 4);
      assert.ok(lines[2]!.includes('2026-11-17 00:00:00'), 'local time column in Berlin');
      assert.ok(lines[1]!.includes('"{""note"":""a,\\""b\\""""}"'), lines[1]);
      const byAccept = await get('actor=other-bot', { accept: 'text/csv' });
      assert.equal(byAccept.text.trim().split('\r\n').length, 2);
    });

    it('refuses bad dates and zones with 400', async () => {
      assert.equal((await get('from=last-tuesday')).status, 400);
      assert.equal((await get('from=2026-11-17&tz=Mars/Olympus')).status, 400);
    });
  });
}
