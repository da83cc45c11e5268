/**
 * MCP over streamable HTTP, driven by the SDK's own client against the running service: the same
 * key, scopes, redaction, kill switch and audit trail as REST, and the same answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import { accessModule } from '../src/access/module.ts';
import { kill, unkill } from '../src/access/killswitch.ts';
import { auditModule } from '../src/audit/module.ts';
import { createEventsModule } from '../src/events/module.ts';
import { createLegacyModule } from '../src/legacy/module.ts';
import { mcpModule } from '../src/mcp/module.ts';
import { createProposalsModule } from '../src/proposals/module.ts';
import { createRecordsModule } from '../src/records/module.ts';
import type { Store } from '../src/store/types.ts';
import { erpWith, startSim } from './helpers/erp.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { writePolicy } from './helpers/proposals.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

type Body = Record<string, unknown>;
interface ToolAnswer {
  isError?: boolean;
  structuredContent?: Body;
  content: { type: string; text?: string }[];
}

for (const target of storeTargets()) {
  describe(`MCP over streamable HTTP on ${target.kind}`, () => {
    let store: Store;
    let sim: ErpSimulator;
    let svc: TestService;
    const clients: Client[] = [];

    async function connect(key: string | undefined): Promise<Client> {
      const client = new Client({ name: 'seam-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', svc.url), {
        requestInit: { headers: key ? bearer(key) : {} },
      });
      await client.connect(transport);
      clients.push(client);
      return client;
    }
    async function tool(client: Client, name: string, args: Body = {}): Promise<ToolAnswer> {
      const r = (await client.callTool({ name, arguments: args })) as ToolAnswer;
      // The text content is the same JSON as the structured content (for clients that show text).
      assert.deepEqual(JSON.parse(r.content[0]!.text!), r.structuredContent);
      return r;
    }
    const auditRows = async (action: string, actor: string) => {
      await svc.ctx.services.audit!.flush();
      return (
        await store.query<{
          records: string[];
          decision: string;
          reason: string | null;
          status: number;
          input: Body;
        }>(
          'SELECT records, decision, reason, status, input FROM audit_log WHERE action = $1 AND actor_name = $2 ORDER BY seq',
          [action, actor],
        )
      ).rows;
    };

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      sim = await startSim();
      svc = await startTestService(store, {
        modules: [
          auditModule,
          accessModule,
          createLegacyModule({ adapters: [erpWith()] }),
          createRecordsModule(),
          createEventsModule({ deliverWebhooks: false }),
          createProposalsModule(),
          mcpModule,
        ],
        env: {
          SEAM_LEGACY_URL: sim.url,
          SEAM_LEGACY_POLL: 'false',
          SEAM_PROPOSAL_JOBS: 'false',
          SEAM_POLICY_FILE: writePolicy(),
          SEAM_RATE_LIMIT_PER_MINUTE: '100000',
          SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: '1000000',
        },
      });
      const polled = await svc.ctx.services.recordPoller!.runOnce('erp', 'accounts');
      assert.equal(polled.outcome, 'ok');
    });
    after(async () => {
      for (const c of clients) await c.close().catch(() => undefined);
      await svc.stop();
      await sim.close();
      await disposeTestStore(store);
    });

    it('lists the tools with their annotations; propose only proposes; no free-form query tool', async () => {
      const client = await connect(await issueKey(store, ['read:accounts'], 'lister'));
      const { tools } = await client.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      assert.deepEqual([...byName.keys()].sort(), [
        'get_record',
        'list_proposal_types',
        'list_systems',
        'proposal_status',
        'propose_change',
        'read_events',
        'search_records',
      ]);
      for (const name of [
        'get_record',
        'list_proposal_types',
        'list_systems',
        'proposal_status',
        'read_events',
        'search_records',
      ])
        assert.equal(byName.get(name)!.annotations?.readOnlyHint, true, `${name} is read-only`);
      const propose = byName.get('propose_change')!;
      assert.equal(propose.annotations?.readOnlyHint, false);
      assert.equal(propose.annotations?.destructiveHint, false);
      assert.match(propose.description!, /PROPOSES/);
      assert.match(propose.description!, /never writes to the legacy system/);
      assert.match(propose.description!, /carries an approved one out by hand/);
      // Inputs are the REST schemas: the list query's fields and the resource's filters.
      const search = byName.get('search_records')!.inputSchema as { properties: Body; required?: string[] };
      for (const p of ['resource', 'limit', 'cursor', 'status', 'currency', 'warehouse', 'accountNumber'])
        assert.ok(p in search.properties, p);
      assert.deepEqual(search.required, ['resource']);
      const proposeInput = propose.inputSchema as { properties: Body; required?: string[] };
      assert.deepEqual(proposeInput.required?.sort(), ['idempotency_key', 'input', 'reason', 'type']);
      for (const t of tools) assert.doesNotMatch(`${t.name} ${t.description}`, /\bsql\b/i);
    });

    it('reads a record exactly as REST does, redacting personal data without pii scopes', async () => {
      const plainKey = await issueKey(store, ['read:accounts'], 'reader');
      const plain = await tool(await connect(plainKey), 'get_record', { resource: 'accounts', id: '4471' });
      assert.equal(plain.isError, undefined);
      const data = plain.structuredContent!.data as Body;
      assert.equal(plain.structuredContent!.id, '004471');
      assert.equal(data.email, '[REDACTED]');
      assert.equal(data.phone, '[REDACTED]');
      assert.equal(data.creditLimit, '15000.00');
      const rest = await call(svc.url, 'GET', '/v1/accounts/004471', { headers: bearer(plainKey) });
      assert.deepEqual(plain.structuredContent, rest.body);

      const emailKey = await issueKey(store, ['read:accounts', 'pii:email'], 'reader-pii');
      const some = await tool(await connect(emailKey), 'get_record', { resource: 'accounts', id: '004471' });
      assert.equal((some.structuredContent!.data as Body).email, 'ap@northwind-trading.example.co.uk');
      assert.equal((some.structuredContent!.data as Body).phone, '[REDACTED]');

      const rows = await auditRows('mcp.get_record', 'reader');
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0]!.records, ['accounts/004471']);
      assert.equal(rows[0]!.decision, 'allowed');
      assert.equal(rows[0]!.status, 200);
      // Each HTTP request is also recorded by the gate, as every REST request is, without repeating the call.
      const requests = await auditRows('POST /mcp', 'reader');
      assert.ok(requests.some((r) => r.input.mcp === 'initialize'));
      assert.ok(requests.some((r) => r.input.mcp === 'tools/call' && r.input.tool === 'get_record'));
    });

    it('searches with the REST filters, cursor and page cap', async () => {
      const key = await issueKey(store, ['read:accounts'], 'searcher');
      const client = await connect(key);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const r = await tool(client, 'search_records', {
          resource: 'accounts',
          limit: 20,
          ...(cursor ? { cursor } : {}),
        });
        assert.equal(r.isError, undefined, JSON.stringify(r.structuredContent));
        const items = r.structuredContent!.items as { id: string; data: Body }[];
        seen.push(...items.map((i) => i.id));
        assert.ok(items.every((i) => i.data.email === null || i.data.email === '[REDACTED]'));
        cursor = r.structuredContent!.next_cursor as string | null;
      } while (cursor);
      assert.equal(seen.length, 50);
      assert.deepEqual(seen, [...seen].sort());

      const active = await tool(client, 'search_records', {
        resource: 'accounts',
        status: 'active',
        limit: 50,
      });
      const rest = await call(svc.url, 'GET', '/v1/accounts?status=active&limit=50', {
        headers: bearer(key),
      });
      assert.deepEqual(active.structuredContent, rest.body);

      const wrongFilter = await tool(client, 'search_records', { resource: 'accounts', warehouse: 'W1' });
      assert.equal(wrongFilter.isError, true);
      assert.equal(wrongFilter.structuredContent!.code, 'validation_failed');
      const tooMany = (await client.callTool({
        name: 'search_records',
        arguments: { resource: 'accounts', limit: 100_000 },
      })) as ToolAnswer;
      assert.equal(tooMany.isError, true, 'the limit is capped like REST’s');
    });

    it('refuses a tool call without the scope REST would need, and audits the refusal', async () => {
      const client = await connect(await issueKey(store, ['read:items'], 'items-only'));
      const r = await tool(client, 'get_record', { resource: 'accounts', id: '004471' });
      assert.equal(r.isError, true);
      assert.equal(r.structuredContent!.code, 'forbidden');
      assert.equal(r.structuredContent!.status, 403);
      const ev = await tool(client, 'read_events', {});
      assert.equal(ev.structuredContent!.code, 'forbidden');
      assert.equal(
        (await tool(client, 'search_records', { resource: 'items', limit: 1 })).isError,
        undefined,
      );
      const rows = await auditRows('mcp.get_record', 'items-only');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.decision, 'denied');
      assert.equal(rows[0]!.reason, 'forbidden');
      assert.equal(rows[0]!.status, 403);
    });

    it('refuses a bad key, no key, and a key with no MCP scope at the door', async () => {
      await assert.rejects(connect('seam_ak_not_a_real_key'), /401/);
      await assert.rejects(connect(undefined), /401/);
      await assert.rejects(connect(await issueKey(store, ['pii:email'], 'pii-only')), /403/);
      const get = await call(svc.url, 'GET', '/mcp', {
        headers: bearer(await issueKey(store, ['read:accounts'])),
      });
      assert.equal(get.status, 405);
    });

    it('stops a killed agent mid-session, and lets it back when the kill is lifted', async () => {
      const key = await issueKey(store, ['read:accounts'], 'killable');
      const client = await connect(key);
      await kill(store, { name: 'killable' }, 'test', 'testing');
      svc.ctx.services.killSwitch!.invalidate();
      await assert.rejects(
        tool(client, 'get_record', { resource: 'accounts', id: '004471' }),
        /agent_access_suspended/,
      );
      await unkill(store, { name: 'killable' });
      svc.ctx.services.killSwitch!.invalidate();
      assert.equal(
        (await tool(client, 'get_record', { resource: 'accounts', id: '004471' })).isError,
        undefined,
      );
    });

    it('reads events like GET /v1/events', async () => {
      const key = await issueKey(store, ['events:read'], 'follower');
      const client = await connect(key);
      const page = await tool(client, 'read_events', { types: 'erp.account.*', limit: 5 });
      assert.equal(page.isError, undefined, JSON.stringify(page.structuredContent));
      const events = page.structuredContent!.events as { type: string; position: number }[];
      assert.equal(events.length, 5);
      assert.ok(events.every((e) => e.type.startsWith('erp.account.')));
      const rest = await call(svc.url, 'GET', '/v1/events?types=erp.account.*&limit=5', {
        headers: bearer(key),
      });
      assert.deepEqual(page.structuredContent, rest.body);
      const next = await tool(client, 'read_events', { after: page.structuredContent!.next, limit: 5 });
      assert.ok(
        (next.structuredContent!.events as { position: number }[]).every(
          (e) => e.position > events[4]!.position,
        ),
      );
      const capped = await tool(client, 'read_events', { limit: 1000 });
      assert.equal(capped.structuredContent!.code, 'page_too_large');
    });

    it('proposes a change (never twice for one idempotency key) and reports its status', async () => {
      const key = await issueKey(store, ['propose:set-credit-limit', 'read:accounts'], 'pricing-agent');
      const client = await connect(key);
      const types = await tool(client, 'list_proposal_types');
      assert.ok(
        (types.structuredContent!.items as { id: string }[]).some((t) => t.id === 'set-credit-limit'),
      );
      const args = {
        type: 'set-credit-limit',
        input: { accountNumber: '004471', creditLimit: '16000.00' },
        reason: 'The customer asked for more headroom for the spring season.',
        idempotency_key: 'mcp-test-1',
      };
      const made = await tool(client, 'propose_change', args);
      assert.equal(made.isError, undefined, JSON.stringify(made.structuredContent));
      assert.equal(made.structuredContent!.created, true);
      const proposal = made.structuredContent!.proposal as { id: string; state: string; reference: string };
      assert.ok(['pending_approval', 'queued'].includes(proposal.state));
      const again = await tool(client, 'propose_change', args);
      assert.equal(again.structuredContent!.created, false);
      assert.equal((again.structuredContent!.proposal as { id: string }).id, proposal.id);
      assert.equal(
        (await store.query('SELECT 1 FROM proposals WHERE proposer_name = $1', ['pricing-agent'])).rowCount,
        1,
      );
      assert.deepEqual(sim.stats().writes, [], 'nothing was written to the legacy system');

      const status = await tool(client, 'proposal_status', { id: proposal.reference });
      assert.equal(status.structuredContent!.id, proposal.id);
      assert.equal(
        status.structuredContent!.state,
        (await svc.ctx.services.proposals!.get(proposal.id)).state,
      );

      // Another agent cannot see it; a key without the type's scope cannot propose it.
      const other = await connect(await issueKey(store, ['propose:adjust-stock'], 'stock-agent'));
      assert.equal(
        (await tool(other, 'proposal_status', { id: proposal.id })).structuredContent!.code,
        'proposal_not_found',
      );
      const refused = await tool(other, 'propose_change', { ...args, idempotency_key: 'mcp-test-2' });
      assert.equal(refused.isError, true);
      assert.equal(refused.structuredContent!.status, 403);

      const rows = await auditRows('mcp.propose_change', 'pricing-agent');
      assert.equal(rows.length, 2);
      assert.ok(rows[0]!.records.includes(`proposals/${proposal.id}`));
      assert.ok(rows[0]!.records.includes('accounts/004471'));
      const transitions = await store.query(
        `SELECT 1 FROM audit_log WHERE action LIKE 'proposal.%' AND $1 = ANY(records)`,
        [`proposals/${proposal.id}`],
      );
      assert.ok(transitions.rowCount > 0, 'the proposal area recorded its own transition');
    });
  });
}
