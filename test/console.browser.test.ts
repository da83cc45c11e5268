/**
 * The operator console end to end in a real headless Chromium (Debian's, driven by playwright-core),
 * against the real service, the real ERP simulator and a real store: people sign in, an approver
 * approves a proposal an agent made over REST, an operator claims it, carries it out by hand and
 * records it with the legacy reference, seam verifies it; a second one that was not really carried
 * out shows as a mismatch; an auditor finds it all in the audit trail and exports CSV; an admin sees
 * the systems page and flips the kill switch, and the agent is refused. Screenshots of the pages
 * land in test-results/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import erp from '../adapters/acme-erp/index.ts';
import type { ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import { accessModule } from '../src/access/module.ts';
import type { HumanRole } from '../src/access/types.ts';
import { auditModule } from '../src/audit/module.ts';
import { consoleModule } from '../src/console/module.ts';
import { createIngestModule } from '../src/ingest/module.ts';
import { createLegacyModule } from '../src/legacy/module.ts';
import type { Proposal } from '../src/proposals/types.ts';
import { createProposalsModule } from '../src/proposals/module.ts';
import { createRecordsModule } from '../src/records/module.ts';
import type { Store } from '../src/store/types.ts';
import { erpWith, startSim } from './helpers/erp.ts';
import { issueHuman, type IssuedHuman } from './helpers/humans.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { ALL_PROPOSE, writePolicy } from './helpers/proposals.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.resolve('test-results');

let browser: Browser;
before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
after(async () => {
  await browser?.close();
});

/** A person at their own browser: own cookies, every request and page error noted. */
interface Desk {
  context: BrowserContext;
  page: Page;
  requests: string[];
  errors: string[];
}

async function desk(base: string): Promise<Desk> {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, requests, errors };
}

async function signIn(d: Desk, who: IssuedHuman, next = '/console'): Promise<void> {
  await d.page.goto(next);
  await d.page.getByLabel('Name').fill(who.name);
  await d.page.getByLabel('Password').fill(who.password);
  await d.page.getByRole('button', { name: 'Sign in' }).click();
  await d.page.locator('#who', { hasText: who.name }).waitFor();
}

/** What a screen reader and a keyboard user need on every page: labels, one h1, one main. */
async function a11yProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll('input, textarea, select')) {
      const c = el as HTMLInputElement;
      if (c.type === 'hidden' || c.closest('[hidden]')) continue;
      const labelled =
        (c.labels?.length ?? 0) > 0 || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby');
      if (!labelled) out.push(`unlabelled ${c.tagName.toLowerCase()} ${c.name || c.id}`);
    }
    for (const b of document.querySelectorAll('button, a[href]'))
      if (!(b.textContent ?? '').trim() && !b.getAttribute('aria-label'))
        out.push(`nameless ${b.tagName.toLowerCase()}`);
    if (document.querySelectorAll('main').length !== 1) out.push('not exactly one main');
    if (document.querySelectorAll('h1').length !== 1) out.push('not exactly one h1');
    if (!document.querySelector('[aria-live]')) out.push('no live region');
    return out;
  });
}

/** Orders delta files for the systems page: one applied with a quarantined row, one rejected. */
function orderDeltas(dir: string): { partial: string; rejected: string } {
  const header = 'OP,ORD_NO,ACCT_NO,ORD_DT,ORD_STAT,CURR_CD,ORD_TOTAL,LINES,LAST_UPD';
  const row = (no: string, date: string) =>
    `I,${no},007473,${date},S,GBP,000000100.00,BOL-6762|1|0000100.00|000000100.00,20240301120000`;
  const write = (name: string, lines: string[]) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, zlib.gzipSync(Buffer.from(lines.join('\r\n') + '\r\n')));
    return p;
  };
  return {
    partial: write('ORDERS_DELTA_202403021200.csv.gz', [
      header,
      row('990001', '20240302'),
      row('990002', '20240302'),
      row('990003', 'NOTADATE'),
      'TRAILER,3',
    ]),
    rejected: write('ORDERS_DELTA_202403031200.csv.gz', [header, row('990004', '20240303'), 'TRAILER,9']),
  };
}

// On both stores, like every suite: PGlite is what `npm start` uses, PostgreSQL what production does.
for (const target of storeTargets()) {
  describe(`the operator console in Chromium on ${target.kind}`, () => {
    let store: Store;
    let sim: ErpSimulator;
    let seam: TestService;
    let agent: Record<string, string>;
    const people = {} as Record<'approver' | 'operator' | 'auditor' | 'admin', IssuedHuman>;
    const desks: Desk[] = [];
    let creditLimit: Proposal;

    const propose = async (body: unknown, key: string) => {
      const r = await call(seam.url, 'POST', '/v1/proposals', {
        body,
        headers: { ...agent, 'idempotency-key': key },
      });
      assert.equal(r.status, 201, r.text);
      return r.body as Proposal;
    };
    const open = async () => {
      const d = await desk(seam.url);
      desks.push(d);
      return d;
    };

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      sim = await startSim();
      seam = await startTestService(store, {
        modules: [
          auditModule,
          accessModule,
          createLegacyModule({ adapters: [erpWith()] }),
          createRecordsModule(),
          createIngestModule(),
          createProposalsModule(),
          consoleModule,
        ],
        env: {
          SEAM_LEGACY_URL: sim.url,
          SEAM_LEGACY_POLL: 'false',
          SEAM_RATE_LIMIT_PER_MINUTE: '100000',
          SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: '1000000',
          SEAM_POLICY_FILE: writePolicy(),
          SEAM_PROPOSAL_JOBS: 'false',
          SEAM_INGEST_WATCH: 'false',
          SEAM_INGEST_MAX_BAD_SHARE: '0.5',
        },
      });
      agent = bearer(await issueKey(store, ALL_PROPOSE, 'pricing-agent'));
      const person = (name: string, roles: HumanRole[]) => issueHuman(store, { name, roles });
      people.approver = await person('anna.approver', ['approver']);
      people.operator = await person('olga.operator', ['operator']);
      people.auditor = await person('aude.auditor', ['auditor']);
      people.admin = await person('adam.admin', ['admin']);
      creditLimit = await propose(
        {
          type: 'set-credit-limit',
          input: { accountNumber: '4471', creditLimit: '17000' },
          reason: 'Customer has paid on time for 24 months; order pipeline needs headroom.',
        },
        'console-credit-1',
      );
      assert.equal(creditLimit.state, 'pending_approval');
    });
    after(async () => {
      for (const d of desks) await d.context.close().catch(() => undefined);
      await seam?.stop();
      await sim?.close();
      if (store) await disposeTestStore(store);
    });

    it('serves the page and its files with a strict CSP, and nothing else under /console/assets', async () => {
      const page = await call(seam.url, 'GET', '/console/queue');
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(page.text, /<main id="main"/);
      const js = await call(seam.url, 'GET', '/console/assets/app.js');
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
      const etag = js.headers.get('etag')!;
      const again = await fetch(`${seam.url}/console/assets/app.js`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      for (const bad of ['nope.js', '..%2Fmodule.ts', 'index.html'])
        assert.equal((await call(seam.url, 'GET', `/console/assets/${bad}`)).status, 404, bad);
      assert.ok(
        !JSON.stringify(seam.api.document({ title: 't', version: '0', description: '' })).includes(
          '/console',
        ),
      );
    });

    it('signs an approver in with the keyboard alone, refusing a wrong password first', async () => {
      const d = await open();
      await d.page.goto('/console');
      await d.page.getByRole('heading', { name: 'Sign in to the seam console' }).waitFor();
      assert.deepEqual(await a11yProblems(d.page), []);
      await d.page.getByLabel('Name').fill(people.approver.name);
      await d.page.getByLabel('Password').fill('not-the-password');
      await d.page.keyboard.press('Enter');
      await d.page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
      assert.equal(await d.page.evaluate(() => document.activeElement?.id), 'signin-password');
      await d.page.keyboard.type(people.approver.password);
      await d.page.keyboard.press('Enter');
      await d.page.getByRole('heading', { name: 'Proposals: Needs approval' }).waitFor();
      assert.match((await d.page.locator('#who').textContent()) ?? '', /anna\.approver \(approver\)/);
      // Focus moved to the new page's heading, so a keyboard user starts there.
      assert.equal(await d.page.evaluate(() => document.activeElement?.tagName), 'H1');
    });

    it('shows the agent’s proposal in the queue and on its page: reason, before/after, impact, chain, steps', async () => {
      const d = desks[0]!;
      const row = d.page.getByRole('row', { name: new RegExp(creditLimit.reference) });
      await row.waitFor();
      const rowText = (await row.textContent()) ?? '';
      assert.match(rowText, /accounts\/004471/);
      assert.match(rowText, /2,000\.00 GBP/);
      assert.match(rowText, /pricing-agent/);
      assert.match(rowText, /approve in 7 h 5\d min/, 'SLA countdown (8 h to approve)');
      assert.ok(
        d.requests.some(
          (u) =>
            u.includes('/v1/proposals?') && u.includes('state=pending_approval') && u.includes('limit=50'),
        ),
        'the queue asks the server for one page of one state',
      );
      assert.deepEqual(await a11yProblems(d.page), []);
      await d.page.screenshot({ path: path.join(SHOTS, `console-queue-${target.kind}.png`), fullPage: true });

      // Open it with the keyboard.
      await d.page.getByRole('link', { name: creditLimit.reference, exact: true }).focus();
      await d.page.keyboard.press('Enter');
      await d.page.getByRole('heading', { level: 1, name: `${creditLimit.reference} · ` }).waitFor();
      const main = d.page.locator('main');
      assert.match((await main.locator('.reason').textContent()) ?? '', /paid on time for 24 months/);
      const change = d.page.getByRole('row', { name: /creditLimit/ });
      assert.deepEqual(await change.locator('td').allTextContents(), ['15000.00', '17000.00']);
      assert.match((await main.locator('.impact').textContent()) ?? '', /^2,000\.00 GBP$/);
      assert.match((await main.textContent()) ?? '', /15,000\.00 → 17,000\.00 GBP/);
      assert.match((await main.locator('.chain').textContent()) ?? '', /Step 1: any approver — waiting/);
      const steps = await main.locator('.steps li').allTextContents();
      assert.ok(
        steps.some(
          (s) => s.includes('CM02 Customer Credit Maintenance') && s.includes(creditLimit.reference),
        ),
        steps.join('\n'),
      );
      assert.equal(
        await d.page.getByRole('button', { name: 'Claim' }).count(),
        0,
        'an approver is not offered the claim',
      );
      assert.deepEqual(await a11yProblems(d.page), []);
      await d.page.screenshot({
        path: path.join(SHOTS, `console-proposal-${target.kind}.png`),
        fullPage: true,
      });
    });

    it('lets the approver approve, then the operator claim, carry it out, record the reference, and see it verified', async () => {
      const a = desks[0]!;
      await a.page.getByLabel('Note').fill('ok by me');
      await a.page.getByRole('button', { name: 'Approve' }).click();
      await a.page.locator('.subject .badge', { hasText: 'Ready to carry out' }).waitFor();
      await a.page.getByRole('status').filter({ hasText: 'Approved.' }).waitFor();
      assert.match(
        (await a.page.locator('.chain').textContent()) ?? '',
        /approved by anna\.approver.*ok by me/,
      );

      const o = await open();
      await signIn(o, people.operator);
      await o.page.getByRole('heading', { name: 'Proposals: Ready to carry out' }).waitFor();
      await o.page.getByRole('link', { name: creditLimit.reference, exact: true }).click();
      await o.page.getByRole('button', { name: 'Claim' }).click();
      await o.page.locator('.subject .badge', { hasText: 'Being carried out' }).waitFor();

      // The operator does it on the ERP's screen CM02 (the simulator's data, as a clerk would).
      sim.data.updateAccount('004471', { CR_LIMIT: '0000017000.00' });
      await o.page.getByRole('button', { name: 'Mark executed' }).click();
      assert.equal(
        await o.page.getByLabel('Legacy reference (transaction number)').getAttribute('aria-invalid'),
        'true',
        'the reference is required',
      );
      await o.page.getByLabel('Legacy reference (transaction number)').fill('TXN 00081234');
      await o.page.getByRole('button', { name: 'Mark executed' }).click();
      await o.page.locator('#verification', { hasText: 'seam is checking' }).waitFor();
      await o.page.getByRole('button', { name: 'Check now' }).click();
      await o.page.locator('#verification.ok', { hasText: 'Verified' }).waitFor();
      assert.match(
        (await o.page.locator('#verification').textContent()) ?? '',
        /Live check: matches what was expected/,
      );
      assert.match((await o.page.locator('main').textContent()) ?? '', /legacy reference TXN 00081234/);

      const final = await call(seam.url, 'GET', `/v1/proposals/${creditLimit.id}`, {
        headers: people.operator.headers,
      });
      assert.equal((final.body as Proposal).state, 'verified');
      assert.equal((final.body as Proposal).execution?.legacyReference, 'TXN 00081234');
      assert.deepEqual(sim.stats().writes, [], 'seam called no write operation');
      assert.deepEqual([...desks[0]!.errors, ...o.errors], []);
    });

    it('makes a mismatch stand out when the system of record does not show the change', async () => {
      const stock = await propose(
        {
          type: 'adjust-stock',
          input: { sku: 'bol-6762', quantity: -2, reasonCode: 'DM' },
          reason: 'Two units found damaged in the Leeds warehouse photo report.',
        },
        'console-stock-1',
      );
      assert.equal(stock.state, 'queued');
      const o = desks[1]!;
      await o.page.goto(`/console/proposals/${stock.reference}`);
      await o.page.getByRole('button', { name: 'Claim' }).click();
      await o.page.getByLabel('Legacy reference (transaction number)').fill('ADJ000123');
      await o.page.getByRole('button', { name: 'Mark executed' }).click();
      await o.page.getByRole('button', { name: 'Check now' }).click();
      const alert = o.page.getByRole('alert').filter({ hasText: 'Mismatch' });
      await alert.waitFor();
      const diff = alert.getByRole('row', { name: /onHand/ });
      assert.deepEqual(await diff.locator('td').allTextContents(), ['170', '172']);
      await o.page.screenshot({
        path: path.join(SHOTS, `console-mismatch-${target.kind}.png`),
        fullPage: true,
      });
      await o.page.goto('/console/queue?state=mismatch');
      await o.page.getByRole('row', { name: new RegExp(stock.reference) }).waitFor();
      assert.equal(await o.page.locator('tr.row-alert').count(), 1);
    });

    it('finds what the agent did with account 4471 today in the audit trail, as a timeline and as CSV', async () => {
      await seam.ctx.services.audit!.flush();
      const d = await open();
      await signIn(d, people.auditor, '/console/audit');
      await d.page.getByRole('heading', { name: 'Audit trail' }).waitFor();
      const today = await d.page.evaluate(() => {
        const t = new Date();
        return `${t.getFullYear()}-${String(t.getMonth() + 1).padStart(2, '0')}-${String(t.getDate()).padStart(2, '0')}`;
      });
      await d.page.getByLabel('Agent or person').fill('pricing-agent');
      await d.page.getByLabel('Record').fill('accounts/4471');
      await d.page.getByLabel('From').fill(today);
      await d.page.getByLabel('To').fill(today);
      assert.deepEqual(await a11yProblems(d.page), []);
      await d.page.getByRole('button', { name: 'Search' }).click();
      const timeline = d.page.getByRole('list', { name: 'Audit entries, newest first' });
      await timeline.waitFor();
      const entries = await timeline.locator('.entry').allTextContents();
      assert.ok(entries.length >= 2, entries.join('\n'));
      assert.ok(
        entries.every((e) => e.includes('pricing-agent')),
        entries.join('\n'),
      );
      assert.ok(
        entries.some((e) => e.includes('proposed a change') && e.includes('accounts/004471')),
        entries.join('\n'),
      );
      assert.ok(
        entries.some((e) => e.includes('sent a proposal')),
        entries.join('\n'),
      );
      assert.ok(
        !entries.some((e) => e.includes('adjust') || e.includes('items/')),
        'only the account’s entries',
      );
      assert.equal(
        new URL(d.page.url()).searchParams.get('actor'),
        'pricing-agent',
        'the search is in the URL',
      );
      await d.page
        .getByRole('status')
        .filter({ hasText: /entries/ })
        .waitFor();
      await d.page.screenshot({ path: path.join(SHOTS, `console-audit-${target.kind}.png`), fullPage: true });

      const href = await d.page.getByRole('link', { name: /CSV/ }).getAttribute('href');
      assert.ok(href?.startsWith('/v1/audit?') && href.includes('format=csv'), href ?? '');
      const csv = await d.context.request.get(seam.url + href);
      assert.equal(csv.status(), 200);
      assert.match(csv.headers()['content-type'] ?? '', /text\/csv/);
      const lines = (await csv.text()).trim().split('\r\n');
      assert.equal(lines.length, 1 + entries.length, 'the CSV has the same entries');
      assert.ok(lines.slice(1).every((l) => l.includes('pricing-agent')));
      assert.ok(lines.some((l) => l.includes('proposal.proposed')));
    });

    it('shows the systems page: scope, mode and day, endpoint health, files ingested with rejects and quarantined rows', async () => {
      const ingestor = seam.ctx.services.ingestor!;
      const files = orderDeltas(seam.ctx.config.ingest.dropDir!);
      const partial = await ingestor.ingest(files.partial);
      assert.equal(partial.status, 'applied', JSON.stringify(partial));
      const rejected = await ingestor.ingest(files.rejected);
      assert.equal(rejected.status, 'rejected', JSON.stringify(rejected));

      const d = await open();
      await signIn(d, people.admin, '/console/systems');
      await d.page.getByRole('heading', { name: 'Systems' }).waitFor();
      const system = d.page.locator('section.system');
      assert.match(
        (await system.locator('dl.scope').textContent()) ?? '',
        new RegExp(erp.scope.escalation.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      );
      assert.match((await d.page.locator('#mode-line').textContent()) ?? '', /^proposal — day 1 of 90$/);
      const health = (await system.locator('dl.health').textContent()) ?? '';
      assert.match(health, /Circuit breakerclosed/);
      assert.match(health, /Reachableyes/);
      assert.match(
        health,
        /Average call time\d+ ms over \d+ calls/,
        'latency from the calls the proposals made',
      );
      const ingest = d.page.locator('section.ingest');
      await ingest
        .getByRole('row', { name: /ORDERS_DELTA_202403021200/ })
        .first()
        .waitFor();
      const rejects = ingest.getByRole('table', { name: /Rejected files/ });
      assert.match((await rejects.textContent()) ?? '', /ORDERS_DELTA_202403031200\.csv\.gz.*rejected/);
      const bad = ingest.getByRole('table', { name: /Quarantined rows of ORDERS_DELTA_202403021200/ });
      assert.match((await bad.textContent()) ?? '', /990003.*ORD_DT/);
      assert.deepEqual(await a11yProblems(d.page), []);
      await d.page.screenshot({
        path: path.join(SHOTS, `console-systems-${target.kind}.png`),
        fullPage: true,
      });
    });

    it('lets an admin stop every agent after confirming in a dialog, and lift it; others cannot', async () => {
      const d = desks.at(-1)!;
      const agentRead = () => call(seam.url, 'GET', '/v1/accounts/004471', { headers: agent });
      assert.equal((await agentRead()).status, 200);

      // Cancelling the dialog changes nothing.
      await d.page.getByRole('button', { name: 'Stop agents…' }).click();
      const dialog = d.page.getByRole('dialog', { name: 'Stop agent access?' });
      await dialog.waitFor();
      assert.deepEqual(await a11yProblems(d.page), []);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      assert.equal((await agentRead()).status, 200);
      assert.match((await d.page.locator('#kill-state').textContent()) ?? '', /Agents are running/);

      await d.page.getByRole('button', { name: 'Stop agents…' }).click();
      await dialog.getByLabel('Reason').fill('console test');
      await dialog.getByRole('button', { name: 'Yes, stop all agents' }).click();
      await d.page.locator('#kill-state', { hasText: 'ALL AGENTS ARE STOPPED' }).waitFor();
      assert.match(
        (await d.page.locator('#kill-state').textContent()) ?? '',
        /All agents — stopped by adam\.admin.*console test/,
      );
      const refused = await agentRead();
      assert.equal(refused.status, 403, refused.text);
      assert.equal((refused.body as { code: string }).code, 'agent_access_suspended');

      // The operator sees the state but gets no switch.
      const o = desks[1]!;
      await o.page.goto('/console/systems');
      await o.page.locator('#kill-state', { hasText: 'ALL AGENTS ARE STOPPED' }).waitFor();
      assert.equal(await o.page.getByRole('button', { name: /Stop agents|Lift/ }).count(), 0);
      assert.match((await o.page.locator('section.kill').textContent()) ?? '', /Only administrators/);

      await d.page.getByRole('button', { name: 'Lift for all agents' }).click();
      await d.page.locator('#kill-state', { hasText: 'Agents are running' }).waitFor();
      assert.equal((await agentRead()).status, 200);
      for (const x of desks) assert.deepEqual(x.errors, []);
    });

    it('stays one page at a time with 10,000 proposals waiting', async () => {
      await store.query(
        // A copy of a real proposal, 10,000 times (LATERAL: the function runs once per row, not per column).
        `INSERT INTO proposals OVERRIDING SYSTEM VALUE
         SELECT r.* FROM proposals p, generate_series(1, 10000) g,
           LATERAL jsonb_populate_record(NULL::proposals, to_jsonb(p) || jsonb_build_object(
             'id', gen_random_uuid(), 'number', 100000 + g, 'idempotency_key', 'bulk-' || g,
             'state', 'pending_approval', 'stale', false)) r
          WHERE p.id = $1`,
        [creditLimit.id],
      );
      const d = desks[0]!;
      await d.page.goto('/console/queue?state=pending_approval');
      await d.page.getByRole('row', { name: /P-110000/ }).waitFor();
      assert.equal(await d.page.locator('table.queue tbody tr').count(), 50);
      // Each state's tab says how many it holds (counted on the server, under the same filter).
      const counts = (
        await store.query<{ state: string; n: number }>(
          'SELECT state, count(*)::int AS n FROM proposals GROUP BY state',
        )
      ).rows;
      const waiting = counts.find((c) => c.state === 'pending_approval')!.n;
      assert.ok(waiting >= 10_000);
      const tab = d.page.getByRole('link', { name: /^Needs approval/ });
      assert.equal((await tab.textContent())?.trim(), `Needs approval (${waiting})`);
      const all = await d.page.getByRole('link', { name: /^All/ }).textContent();
      assert.equal(all?.trim(), `All (${counts.reduce((n, c) => n + c.n, 0)})`);
      await d.page.getByRole('link', { name: 'Older →' }).click();
      await d.page.getByRole('row', { name: /P-109950/ }).waitFor();
      const refs = await d.page.locator('table.queue tbody th').allTextContents();
      assert.deepEqual(refs.slice(0, 2), ['P-109950', 'P-109949']);
      assert.equal(refs.length, 50);
      // Every page came from the server in pages of 50 (the browser never holds the whole queue).
      assert.ok(d.requests.filter((u) => u.includes('/v1/proposals?')).every((u) => u.includes('limit=50')));
    });

    it('fetches nothing from outside seam', () => {
      for (const d of desks) for (const u of d.requests) assert.ok(u.startsWith(seam.url), u);
    });
  });
}
