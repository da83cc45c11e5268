import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import soap from 'soap';
import type { ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import { WSDL_PATH } from '../adapters/acme-erp/soap.ts';
import { startSim } from './helpers/erp.ts';

type Client = soap.Client &
  Record<string, (args: unknown, opts?: unknown) => Promise<[Record<string, unknown>]>>;

async function client(sim: ErpSimulator, creds?: [string, string]): Promise<Client> {
  const c = (await soap.createClientAsync(WSDL_PATH, { endpoint: sim.url })) as Client;
  if (creds) c.setSecurity(new soap.WSSecurity(creds[0], creds[1], { passwordType: 'PasswordText' }));
  return c;
}

/** The legacy error code of a node-soap Fault error. */
function errCode(err: unknown): string | undefined {
  return (
    err as { root?: { Envelope?: { Body?: { Fault?: { detail?: { ERROR_INFO?: { ERR_CD?: string } } } } } } }
  ).root?.Envelope?.Body?.Fault?.detail?.ERROR_INFO?.ERR_CD;
}

describe('ERP simulator (a real SOAP server from the WSDL)', () => {
  let sim: ErpSimulator;
  let c: Client;
  before(async () => {
    sim = await startSim({ workers: 2, boxQueue: 3 });
    c = await client(sim);
  });
  after(() => sim.close());

  it('answers reads in the box’s raw legacy shape, seeded from fixtures', async () => {
    const [r] = await c.GetAccountAsync({ ACCT_NO: '4471' });
    const a = r.ACCOUNT as Record<string, string>;
    assert.equal(a.ACCT_NO, '004471');
    assert.equal(a.ACCT_STAT, 'A');
    assert.match(a.CR_LIMIT!, /^0+15000\.00$/, 'zero-padded decimal text');
    assert.match(a.LAST_UPD!, /^\d{14}$/);
    const [page] = await c.ListAccountsAsync({ PAGE_NO: 2, PAGE_SIZE: 20 });
    assert.equal(page.TOTAL_RECS, 50);
    assert.equal(page.MORE_FLAG, 'Y');
    assert.equal((page.ACCOUNTS as { ACCOUNT: unknown[] }).ACCOUNT.length, 20);
    const [last] = await c.ListAccountsAsync({ PAGE_NO: 3, PAGE_SIZE: 20 });
    assert.equal(last.MORE_FLAG, 'N');
    const [o] = await c.GetOrderAsync({ ORD_NO: '100200' });
    assert.ok(Array.isArray((o.ORDER as { LINES: { LINE: unknown } }).LINES.LINE) || (o.ORDER as object));
  });

  it('filters a listing by changed-since', async () => {
    // Read the box's clock first: LAST_UPD has whole seconds, and the second may tick during the update.
    const since = sim.data.now();
    sim.data.updateAccount('004471', { ACCT_NAME: 'NORTHWIND TRADING LTD (RENAMED)' });
    const [r] = await c.ListAccountsAsync({ PAGE_NO: 1, PAGE_SIZE: 100, CHANGED_SINCE: since });
    const rows = [(r.ACCOUNTS as { ACCOUNT: unknown }).ACCOUNT].flat() as { ACCT_NO: string }[];
    assert.deepEqual(
      rows.map((x) => x.ACCT_NO),
      ['004471'],
    );
  });

  it('answers SOAP Faults with legacy codes for unknown ids and bad arguments', async () => {
    await assert.rejects(c.GetAccountAsync({ ACCT_NO: '999999' }), (e) => errCode(e) === 'E0101');
    await assert.rejects(c.GetItemAsync({ ITEM_SKU: 'NOPE-1' }), (e) => errCode(e) === 'E0201');
    await assert.rejects(c.GetOrderAsync({ ORD_NO: '1' }), (e) => errCode(e) === 'E0301');
    await assert.rejects(c.GetAccountAsync({ ACCT_NO: 'ABC' }), (e) => errCode(e) === 'E0400');
    await assert.rejects(c.ListItemsAsync({ PAGE_NO: 1, PAGE_SIZE: 1000 }), (e) => errCode(e) === 'E0400');
  });

  it('counts calls per operation and the most it had in flight; small worker pool, then SYSTEM BUSY', async () => {
    sim.resetStats();
    sim.setLatency(100);
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => c.GetItemAsync({ ITEM_SKU: i % 2 ? 'BEA-1727' : 'NOPE' })),
      );
      const s = sim.stats();
      assert.equal(s.calls.GetItem, 8);
      assert.equal(s.maxBusy, 2, 'two worker slots');
      assert.ok(s.maxInFlight >= 5, `calls waited at the box (saw ${s.maxInFlight})`);
      const busy = results.filter((r) => r.status === 'rejected' && errCode(r.reason) === 'E0900');
      assert.ok(busy.length >= 1, 'beyond its queue the box answers E0900');
    } finally {
      sim.setLatency(0);
    }
  });

  it('fails on demand: down, hang, malformed, busy, fail-next', async () => {
    sim.setMode('down');
    await assert.rejects(
      c.GetAccountAsync({ ACCT_NO: '004471' }),
      (e) => (e as { code?: string }).code === 'ECONNRESET',
    );
    sim.setMode('hang');
    await assert.rejects(
      c.GetAccountAsync({ ACCT_NO: '004471' }, { timeout: 200 }),
      (e) => (e as { code?: string }).code === 'ECONNABORTED',
    );
    sim.setMode('malformed');
    await assert.rejects(c.GetAccountAsync({ ACCT_NO: '004471' }), (e) => {
      return (e as { Fault?: { faultstring?: string } }).Fault?.faultstring === 'Invalid XML';
    });
    sim.setMode('busy');
    await assert.rejects(c.GetAccountAsync({ ACCT_NO: '004471' }), (e) => errCode(e) === 'E0900');
    sim.setMode('normal');
    sim.failNext(1);
    await assert.rejects(c.GetAccountAsync({ ACCT_NO: '004471' }), (e) => errCode(e) === 'E0900');
    const [ok] = await c.GetAccountAsync({ ACCT_NO: '004471' });
    assert.ok(ok.ACCOUNT);
  });

  it('carries out write operations and records every one of them', async () => {
    sim.resetStats();
    const [r] = await c.SetCreditLimitAsync({
      ACCT_NO: '004471',
      NEW_LIMIT: '20000.00',
      REASON: 'test',
      USER_ID: 'OPS1',
    });
    assert.equal((r.RESULT as { RESULT_CD: string }).RESULT_CD, '00');
    assert.equal(sim.data.accounts.get('004471')!.CR_LIMIT, '0000020000.00');
    await c.IssueCreditAsync({
      ACCT_NO: '004471',
      AMOUNT: '100.00',
      CURR_CD: 'GBP',
      REASON: 'x',
      USER_ID: 'OPS1',
    });
    await assert.rejects(
      c.SetAccountStatusAsync({ ACCT_NO: '004471', NEW_STAT: 'Z', REASON: 'x', USER_ID: 'OPS1' }),
      (e) => errCode(e) === 'E0400',
    );
    const writes = sim.stats().writes;
    assert.deepEqual(
      writes.map((w) => w.operation),
      ['SetCreditLimit', 'IssueCredit', 'SetAccountStatus'],
    );
    assert.equal(writes[0]!.args.NEW_LIMIT, '20000.00');
  });

  it('is controllable over HTTP for a simulator in another process', async () => {
    const base = sim.url.replace(/\/erp\/ws$/, '');
    await fetch(`${base}/__sim/reset`, { method: 'POST' });
    await c.GetItemAsync({ ITEM_SKU: 'BEA-1727' });
    const stats = (await (await fetch(`${base}/__sim/stats`)).json()) as { calls: Record<string, number> };
    assert.deepEqual(stats.calls, { GetItem: 1 });
    await fetch(`${base}/__sim/mode`, { method: 'POST', body: JSON.stringify({ mode: 'busy' }) });
    assert.equal(sim.mode(), 'busy');
    await fetch(`${base}/__sim/mode`, { method: 'POST', body: JSON.stringify({ mode: 'normal' }) });
  });
});

describe('ERP simulator with credentials', () => {
  it('refuses calls without the right WS-Security UsernameToken (E0401)', async () => {
    const sim = await startSim({ credentials: { username: 'seam', password: 'pa55word' } });
    try {
      const good = await client(sim, ['seam', 'pa55word']);
      const [r] = await good.GetAccountAsync({ ACCT_NO: '004471' });
      assert.ok(r.ACCOUNT);
      const bad = await client(sim, ['seam', 'guess']);
      await assert.rejects(bad.GetAccountAsync({ ACCT_NO: '004471' }), (e) => errCode(e) === 'E0401');
      const none = await client(sim);
      await assert.rejects(none.GetAccountAsync({ ACCT_NO: '004471' }), (e) => errCode(e) === 'E0401');
    } finally {
      await sim.close();
    }
  });
});
