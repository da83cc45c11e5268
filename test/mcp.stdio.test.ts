/**
 * `seam mcp` over stdio, as an MCP client launches it: the SDK's StdioClientTransport spawning
 * `node bin/seam.js mcp` on a real store (a PostgreSQL schema, or an embedded data folder), and
 * `seam mcp --url` bridging to a running service. Same key, scopes, redaction and audit trail.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import { kill, unkill } from '../src/access/killswitch.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { startSim } from './helpers/erp.ts';
import { issueKey } from './helpers/keys.ts';
import { ROOT, runSeam, SEAM_BIN } from './helpers/process.ts';
import { writePolicy } from './helpers/proposals.ts';
import { startTestService, type TestService } from './helpers/service.ts';
import {
  disposeTestStore,
  openTestStore,
  silentLog,
  storeTargets,
  type StoreTarget,
} from './helpers/store.ts';

type Body = Record<string, unknown>;
interface ToolAnswer {
  isError?: boolean;
  structuredContent?: Body;
}

interface Launched {
  client: Client;
  stderr(): string;
}

/** Launch `seam mcp` the way an MCP client does and connect to it. */
async function launch(args: string[], env: Record<string, string>): Promise<Launched> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SEAM_BIN, 'mcp', ...args],
    cwd: ROOT,
    env: { LOG_LEVEL: 'info', ...env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'seam-stdio-test', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (e) {
    await transport.close();
    throw new Error(`seam mcp did not start: ${(e as Error).message}\n${err}`, { cause: e });
  }
  return { client, stderr: () => err };
}

const call = async (client: Client, name: string, args: Body = {}) =>
  (await client.callTool({ name, arguments: args })) as ToolAnswer;

/** The store the child process uses, opened from the test (PGlite: only while the child is not running). */
interface StdioTarget {
  env: Record<string, string>;
  open(): Promise<Store>;
  release(store: Store): Promise<void>;
  dispose(): Promise<void>;
}

async function stdioTarget(target: StoreTarget): Promise<StdioTarget> {
  if (target.kind === 'postgres') {
    const store = await openTestStore(target, import.meta.filename);
    return {
      env: { DATABASE_URL: target.url!, SEAM_DB_SCHEMA: store.schema },
      open: async () => store,
      release: async () => undefined,
      dispose: () => disposeTestStore(store),
    };
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-mcp-stdio-'));
  const opts = { schema: 'seam', poolMax: 1, dataDir };
  return {
    env: { SEAM_DATA_DIR: dataDir },
    async open() {
      const store = await openStore(opts, silentLog);
      await migrate(store, silentLog);
      return store;
    },
    release: (store) => store.close(),
    dispose: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
}

const targets = storeTargets();
for (const target of targets) {
  describe(`seam mcp over stdio on ${target.kind}`, () => {
    let sim: ErpSimulator;
    let t: StdioTarget;
    let env: Record<string, string>;
    let key: string;

    before(async () => {
      sim = await startSim();
      t = await stdioTarget(target);
      const store = await t.open();
      key = await issueKey(
        store,
        ['read:accounts', 'events:read', 'propose:set-credit-limit'],
        'desktop-agent',
      );
      await t.release(store);
      env = {
        ...t.env,
        SEAM_LEGACY_URL: sim.url,
        SEAM_POLICY_FILE: writePolicy(),
        SEAM_PROPOSAL_JOBS: 'false',
        SEAM_INGEST_WATCH: 'false',
      };
    });
    after(async () => {
      await sim.close();
      await t.dispose();
    });

    // Store-independent: once, on the last target (each launch costs seconds on a busy machine).
    if (target === targets.at(-1))
      it('refuses to start with a bad key (exit 1) or none (exit 2)', async () => {
        const bad = await runSeam(['mcp', '--key', 'seam_ak_not_a_real_key'], { ...env, LOG_LEVEL: 'warn' });
        assert.equal(bad.code, 1, bad.stderr);
        assert.match(bad.stderr, /agent key is not valid/);
        assert.equal(bad.stdout, '', 'nothing but the protocol may reach stdout');
        const none = await runSeam(['mcp'], { ...env, SEAM_AGENT_KEY: undefined });
        assert.equal(none.code, 2, none.stderr);
      });

    it('serves the tools to the key’s agent, with its scopes, redaction and audit trail', async () => {
      const { client, stderr } = await launch([], { ...env, SEAM_AGENT_KEY: key });
      const { tools } = await client.listTools();
      assert.equal(tools.find((x) => x.name === 'get_record')?.annotations?.readOnlyHint, true);
      assert.equal(tools.find((x) => x.name === 'propose_change')?.annotations?.readOnlyHint, false);

      const rec = await call(client, 'get_record', { resource: 'accounts', id: '4471' });
      assert.equal(rec.isError, undefined, JSON.stringify(rec.structuredContent));
      const data = rec.structuredContent!.data as Body;
      assert.equal(data.accountNumber, '004471');
      assert.equal(data.email, '[REDACTED]', 'no pii scope: redacted');

      const items = await call(client, 'get_record', { resource: 'items', id: 'X' });
      assert.equal(items.structuredContent!.code, 'forbidden');

      const events = await call(client, 'read_events', { subject: 'accounts/004471' });
      assert.ok((events.structuredContent!.events as unknown[]).length >= 1, JSON.stringify(events));

      const made = await call(client, 'propose_change', {
        type: 'set-credit-limit',
        input: { accountNumber: '004471', creditLimit: '15500.00' },
        reason: 'Spring season headroom, asked for by the customer.',
        idempotency_key: 'stdio-1',
      });
      assert.equal(made.isError, undefined, JSON.stringify(made.structuredContent));
      const id = (made.structuredContent!.proposal as { id: string }).id;
      const status = await call(client, 'proposal_status', { id });
      assert.equal(status.structuredContent!.id, id);

      if (target.kind === 'postgres') {
        // The kill switch reaches a stdio agent on its next call (another process may flip it).
        const store = await t.open();
        await kill(store, { name: 'desktop-agent' }, 'test');
        await new Promise((r) => setTimeout(r, 700)); // the kill switch's cache lives 500 ms
        assert.equal((await call(client, 'list_systems')).structuredContent!.code, 'agent_access_suspended');
        await unkill(store, { name: 'desktop-agent' });
      }

      await client.close();
      // A clean stop (audit flushed, store closed), not a kill after the client's grace period.
      for (let i = 0; i < 100 && !/mcp \(stdio\) stopped/.test(stderr()); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.match(stderr(), /mcp \(stdio\) stopped/);
      assert.doesNotMatch(stderr(), new RegExp(key), 'the key is never logged');

      const store = await t.open();
      try {
        const rows = (
          await store.query<{
            action: string;
            records: string[];
            decision: string;
            reason: string | null;
            result: Body;
          }>(
            `SELECT action, records, decision, reason, result FROM audit_log
              WHERE actor_name = 'desktop-agent' AND action LIKE 'mcp.%' ORDER BY seq`,
          )
        ).rows;
        const actions = rows.map((r) => `${r.action}:${r.decision}`);
        assert.deepEqual(actions.slice(0, 5), [
          'mcp.get_record:allowed',
          'mcp.get_record:denied',
          'mcp.read_events:allowed',
          'mcp.propose_change:allowed',
          'mcp.proposal_status:allowed',
        ]);
        assert.deepEqual(rows[0]!.records, ['accounts/004471']);
        assert.equal(rows[1]!.reason, 'forbidden');
        assert.ok(rows[3]!.records.includes(`proposals/${id}`));
        assert.deepEqual(rows[0]!.result, { transport: 'stdio' });
        if (target.kind === 'postgres') assert.equal(rows[5]?.reason, 'agent_access_suspended');
      } finally {
        await t.release(store);
      }
    });
  });
}

describe('seam mcp --url bridges stdio to a running seam', () => {
  let store: Store;
  let sim: ErpSimulator;
  let svc: TestService;
  const target = targets.at(-1)!;

  before(async () => {
    store = await openTestStore(target, import.meta.filename);
    sim = await startSim();
    svc = await startTestService(store, {
      env: {
        SEAM_LEGACY_URL: sim.url,
        SEAM_LEGACY_POLL: 'false',
        SEAM_POLICY_FILE: writePolicy(),
        SEAM_PROPOSAL_JOBS: 'false',
        SEAM_INGEST_WATCH: 'false',
      },
    });
  });
  after(async () => {
    await svc.stop();
    await sim.close();
    await disposeTestStore(store);
  });

  it('passes calls through the service’s own gate and audit trail', async () => {
    const key = await issueKey(store, ['read:accounts', 'pii:email'], 'bridged-agent');
    const { client } = await launch(['--url', svc.url, '--key', key], {});
    const rec = await call(client, 'get_record', { resource: 'accounts', id: '004471' });
    assert.equal(rec.isError, undefined, JSON.stringify(rec.structuredContent));
    const data = rec.structuredContent!.data as Body;
    assert.equal(data.email, 'ap@northwind-trading.example.co.uk', 'pii:email sees the email');
    assert.equal(data.phone, '[REDACTED]');
    assert.equal((await call(client, 'read_events')).structuredContent!.code, 'forbidden');
    await client.close();

    await svc.ctx.services.audit!.flush();
    const rows = (
      await store.query<{ action: string; result: Body | null }>(
        `SELECT action, result FROM audit_log WHERE actor_name = 'bridged-agent' AND action LIKE 'mcp.%' ORDER BY seq`,
      )
    ).rows;
    assert.deepEqual(
      rows.map((r) => r.action),
      ['mcp.get_record', 'mcp.read_events'],
    );
    assert.deepEqual(rows[0]!.result, { transport: 'http' });
  });
});
