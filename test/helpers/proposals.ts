/**
 * Proposal tests: the real ERP simulator, seam with the modules proposals need (audit, access,
 * legacy, records, proposals) over real HTTP, a policy file written for the test, and people with
 * roles. Background jobs are off unless asked for, so each test drives sweeps and verification
 * itself and sees exactly the transitions it caused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ErpSimulator } from '../../adapters/acme-erp/simulator/index.ts';
import { accessModule } from '../../src/access/module.ts';
import type { HumanRole } from '../../src/access/types.ts';
import type { AdapterDefinition } from '../../src/adapter/types.ts';
import { auditModule } from '../../src/audit/module.ts';
import { createLegacyModule } from '../../src/legacy/module.ts';
import type { ProposalService } from '../../src/proposals/service.ts';
import { createProposalsModule } from '../../src/proposals/module.ts';
import { createRecordsModule } from '../../src/records/module.ts';
import type { Store } from '../../src/store/types.ts';
import { erpWith, startSim } from './erp.ts';
import { issueHuman, type IssuedHuman } from './humans.ts';
import { bearer, issueKey } from './keys.ts';
import { call, startTestService, type TestService } from './service.ts';

/** The policy the tests run under: the guidance's tiers, in GBP, with a named approver. */
export const TEST_POLICY = `
version: 1
currency: GBP
rates:
  EUR: "0.85"
  USD: "0.80"
tiers:
  - name: small
    below: 500
    approvals: none
  - name: medium
    up_to: 5000
    approvals: [approver]
    approve_within: 8h
  - name: large
    approvals:
      - named: [dana.named]
      - approver
    approve_within: 24h
escalate_before_expiry: 2h
execute_within: 72h
verify_within: 48h
`;

export function writePolicy(text = TEST_POLICY): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-policy-'));
  const file = path.join(dir, 'proposals.yaml');
  fs.writeFileSync(file, text);
  return file;
}

export interface ProposalWorld {
  sim: ErpSimulator;
  seam: TestService;
  proposals: ProposalService;
  agent: { key: string; headers: Record<string, string> };
  people: Record<'operator' | 'operator2' | 'approver' | 'approver2' | 'named' | 'admin', IssuedHuman>;
  close(): Promise<void>;
}

export const ALL_PROPOSE = [
  'propose:set-credit-limit',
  'propose:adjust-stock',
  'propose:set-account-status',
  'propose:issue-credit',
  'read:accounts',
  'read:items',
];

export async function startProposalWorld(
  store: Store,
  opts: { env?: Record<string, string>; jobs?: boolean; adapter?: AdapterDefinition } = {},
): Promise<ProposalWorld> {
  const sim = await startSim();
  const seam = await startTestService(store, {
    modules: [
      auditModule,
      accessModule,
      createLegacyModule({ adapters: [opts.adapter ?? erpWith()] }),
      createRecordsModule(),
      createProposalsModule(),
    ],
    env: {
      SEAM_LEGACY_URL: sim.url,
      SEAM_LEGACY_POLL: 'false',
      SEAM_RATE_LIMIT_PER_MINUTE: '100000',
      SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: '1000000',
      SEAM_POLICY_FILE: writePolicy(),
      SEAM_PROPOSAL_JOBS: opts.jobs ? 'true' : 'false',
      ...opts.env,
    },
  });
  const key = await issueKey(store, ALL_PROPOSE, 'pricing-agent');
  const person = (name: string, roles: HumanRole[]) => issueHuman(store, { name, roles });
  const people = {
    operator: await person('olga.operator', ['operator']),
    operator2: await person('otto.operator', ['operator']),
    approver: await person('anna.approver', ['approver']),
    approver2: await person('arne.approver', ['approver']),
    named: await person('dana.named', ['approver']),
    admin: await person('adam.admin', ['admin']),
  };
  return {
    sim,
    seam,
    proposals: seam.ctx.services.proposals!,
    agent: { key, headers: bearer(key) },
    people,
    async close() {
      await seam.stop();
      await sim.close();
    },
  };
}

/**
 * The ERP adapter with a snapshot feed of accounts and of items declared, as ingest sees them: only
 * what verification reads of a feed (its name, target and mode) matters to these tests.
 */
export function erpWithSnapshotFeeds(): AdapterDefinition {
  const feed = (name: string, resource: string, entity: string) =>
    ({
      name,
      target: { resource, entity },
      mode: { kind: 'snapshot' },
    }) as unknown as AdapterDefinition['feeds'][number];
  return { ...erpWith(), feeds: [feed('ACCOUNTS', 'accounts', 'account'), feed('STOCK', 'items', 'item')] };
}

let keys = 0;
/** POST /v1/proposals with a fresh Idempotency-Key (or the given one). */
export function proposeOver(
  w: ProposalWorld,
  body: unknown,
  opts: { key?: string; headers?: Record<string, string> } = {},
) {
  return call(w.seam.url, 'POST', '/v1/proposals', {
    body,
    headers: {
      ...(opts.headers ?? w.agent.headers),
      'idempotency-key': opts.key ?? `k-${process.pid}-${++keys}-${Date.now()}`,
    },
  });
}

export function act(
  w: ProposalWorld,
  who: IssuedHuman | { headers: Record<string, string> },
  id: string,
  verb: string,
  body?: unknown,
) {
  return call(w.seam.url, 'POST', `/v1/proposals/${id}/${verb}`, {
    headers: who.headers,
    ...(body !== undefined ? { body } : {}),
  });
}

export async function stateOf(store: Store, id: string) {
  const r = await store.query<{ state: string; stale: boolean; updated_at: Date }>(
    'SELECT state, stale, updated_at FROM proposals WHERE id = $1',
    [id],
  );
  return r.rows[0];
}

export async function count(store: Store, sql: string, params: unknown[] = []): Promise<number> {
  const r = await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) x`, params);
  return r.rows[0]!.n;
}
