/**
 * The adapter contract: every adapter in adapters/ (found on disk, so a new one is checked without
 * editing this file) must behave as it declares, against its own simulator through the real
 * transport, guard and registry:
 *
 * - resources: key, sensitive and filterable fields are fields of a strict schema; the example
 *   record reads live and validates; an unknown key is never a record; pages validate, agree with
 *   single reads, continue without repeats, and honour changed-since;
 * - feeds: declarations are valid and point at the resource's fields; the sample drops in
 *   fixtures/<adapter>/drops/ read into records valid against the resource schema, control records
 *   holding;
 * - proposal types: the example input is accepted and garbage refused; impact is a decimal string;
 *   expected state names fields of the record and validates; the reversal's input validates against
 *   the reverse type's schema; a gated-write operation is a declared write operation.
 *
 * And adapters standing for the same system (the legacy one and its replacement) must serve agents
 * the same resources, schemas and proposal types: that is what makes swapping one for the other
 * invisible to agents (test/adapter.swap.test.ts runs the scenario).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { FeedDefinitionSchema } from '../src/adapter/feed.ts';
import type { AnyProposalType } from '../src/adapter/proposal-type.ts';
import { loadAdapters } from '../src/adapter/registry.ts';
import type { AnyResource } from '../src/adapter/resource.ts';
import type { AdapterDefinition } from '../src/adapter/types.ts';
import { matchName } from '../src/ingest/files.ts';
import { readRecords } from '../src/ingest/reader.ts';
import { RowProcessor, type StageRow } from '../src/ingest/rows.ts';
import { LegacyError } from '../src/legacy/errors.ts';
import { buildRequest } from '../src/legacy/http.ts';
import { adapterFolders, connectToSimulator, withTestLimits, type Connected } from './helpers/adapters.ts';
import { ROOT } from './helpers/process.ts';

const DECIMAL = /^-?\d+(\.\d+)?$/;
const folders = adapterFolders();

const shapeOf = (r: AnyResource) => (r.schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;

describe('adapters/ is searched for adapters', () => {
  it('finds every adapter folder (the demo ERP and its replacement at least)', () => {
    assert.ok(folders.includes('acme-erp') && folders.includes('acme-next'), folders.join(', '));
  });
});

for (const folder of folders) {
  describe(`adapter contract: ${folder}`, () => {
    let adapter: AdapterDefinition;
    let conn: Connected;
    /** The example record of each resource, read live. */
    const examples = new Map<string, Record<string, unknown>>();

    before(async () => {
      adapter = (await loadAdapters([folder]))[0]!;
      conn = await connectToSimulator(withTestLimits(adapter));
    });
    after(() => conn?.close());

    const handle = (name: string) => conn.systems.resource(name)!;

    it('declares exactly one way to reach its system, and a simulator the contract can run against', () => {
      assert.equal(Boolean(adapter.soap) !== Boolean(adapter.http), true, 'declare soap or http');
      assert.equal(typeof adapter.simulator, 'function', 'ship a simulator (adapters/<name>/simulator/)');
      assert.ok(adapter.resources.length > 0);
    });

    it('resources: strict object schemas holding the key, sensitive and filterable fields', () => {
      for (const r of adapter.resources) {
        assert.ok(r.schema instanceof z.ZodObject, `${r.name}: the record schema is an object`);
        const shape = shapeOf(r);
        for (const f of [r.key, ...r.sensitive, ...r.filterable])
          assert.ok(f in shape, `${r.name}: ${f} is a field of the schema`);
        assert.ok(!r.sensitive.includes(r.key), `${r.name}: the key is not personal data`);
        for (const f of r.filterable)
          assert.ok(!r.sensitive.includes(f), `${r.name}: ${f} is sensitive, so agents may not filter on it`);
        if (r.poll) assert.equal(typeof r.fetchPage, 'function', `${r.name}: a poll needs fetchPage`);
        assert.ok(r.exampleKey || r.fetchPage, `${r.name}: declare exampleKey (it cannot be listed)`);
      }
    });

    it('every resource reads its example record live, valid against its schema', async () => {
      for (const r of adapter.resources) {
        const h = handle(r.name);
        let key = r.exampleKey;
        if (!key) key = (await h.fetchPage!({ pageSize: 1 })).records[0]?.key;
        assert.ok(key, `${r.name}: the simulator has a record to read`);
        const k = h.normaliseKey(key);
        assert.equal(h.normaliseKey(k), k, `${r.name}: normaliseKey is idempotent`);
        const live = await h.fetchOne(k);
        assert.ok(live, `${r.name}/${k} exists`);
        assert.equal(live.key, k);
        assert.equal(live.data[r.key], k, `${r.name}: the key field holds the key`);
        assert.ok(r.schema.safeParse(live.data).success);
        assert.equal(
          r.schema.safeParse({ ...live.data, unexpectedField: 1 }).success,
          false,
          `${r.name}: the schema is strict (an unexpected field is an error, not passed on)`,
        );
        for (const f of r.filterable) {
          const v = live.data[f];
          assert.ok(
            v === null || ['string', 'number', 'boolean'].includes(typeof v),
            `${r.name}: filterable ${f} is a scalar (filters match exact values)`,
          );
        }
        examples.set(r.name, live.data);
      }
    });

    it('an unknown key is never a record: not found (or refused as malformed)', async () => {
      for (const r of adapter.resources) {
        const h = handle(r.name);
        for (const raw of ['0', '99999999']) {
          const key = h.normaliseKey(raw);
          try {
            const got = await h.fetchOne(key);
            assert.equal(got, undefined, `${r.name}/${key} is not a record`);
          } catch (err) {
            assert.ok(err instanceof LegacyError, String(err));
            assert.equal(err.kind, 'fault', `${r.name}/${key}: ${err.message}`);
            assert.ok(
              ['not_found', 'bad_request'].includes(err.faultKind!),
              `${r.name}/${key}: ${err.message}`,
            );
          }
        }
      }
    });

    it('pages validate, agree with single reads, continue without repeats, and honour changed-since', async () => {
      for (const r of adapter.resources.filter((x) => x.fetchPage)) {
        const h = handle(r.name);
        const seen = new Set<string>();
        let cursor: string | undefined;
        for (let n = 0; n < 3; n++) {
          const p = await h.fetchPage!({ pageSize: 7, ...(cursor ? { cursor } : {}) });
          assert.equal(p.rejected, 0, `${r.name}: every record on the page validates`);
          assert.ok(p.records.length > 0 && p.records.length <= 7, `${r.name}: page ${n + 1} size`);
          for (const rec of p.records) {
            assert.ok(!seen.has(rec.key), `${r.name}: ${rec.key} appears on two pages`);
            seen.add(rec.key);
          }
          for (const rec of p.records.slice(0, 3)) {
            const one = await h.fetchOne(rec.key);
            assert.deepEqual(one?.data, rec.data, `${r.name}/${rec.key}: page and single read agree`);
          }
          cursor = p.next;
          if (!cursor) break;
        }
        assert.ok(cursor, `${r.name}: the simulator has more than 3 pages of 7, so continuation was tested`);
        const future = await h.fetchPage!({ pageSize: 7, changedSince: new Date(Date.now() + 86_400_000) });
        assert.deepEqual(future.records, [], `${r.name}: nothing changed after tomorrow`);
      }
    });

    it('feeds: valid declarations over the resource, and sample drops that read into valid records', async () => {
      const dropDir = path.join(ROOT, 'fixtures', folder, 'drops');
      const samples = fs.existsSync(dropDir) ? fs.readdirSync(dropDir) : [];
      for (const def of adapter.feeds) {
        const parsed = FeedDefinitionSchema.safeParse(def);
        assert.ok(parsed.success, `${def.name}: ${parsed.error?.message}`);
        const feed = parsed.data!;
        const r = adapter.resources.find((x) => x.name === feed.target.resource);
        assert.ok(r, `${feed.name}: feeds a resource of the adapter`);
        assert.equal(feed.target.entity, r.entity, `${feed.name}: entity as the resource names it`);
        assert.equal(feed.key, r.key, `${feed.name}: keyed like the resource`);
        const files = samples.filter((f) => feed.pattern.test(f));
        assert.ok(files.length > 0, `${feed.name}: a sample drop in fixtures/${folder}/drops/`);
        for (const file of files) {
          const match = matchName([feed], file)!;
          const rows: StageRow[] = [];
          const proc = new RowProcessor(feed, match.businessDate, { add: (row) => void rows.push(row) });
          const stats = { bytes: 0, sha256: '' };
          for await (const batch of readRecords(
            path.join(dropDir, file),
            feed,
            { maxLineChars: 1 << 20 },
            stats,
          ))
            await proc.consume(batch);
          proc.finish(); // control records (counts, totals, business date) hold
          const bad = rows.filter((x) => x.status === 'bad');
          assert.deepEqual(
            bad.map((b) => `${b.line} ${b.field}: ${b.reason}`),
            [],
            `${file}: no bad rows`,
          );
          const upserts = rows.filter((x) => x.op === 'U');
          assert.ok(upserts.length > 0, `${file}: has records`);
          for (const row of upserts) {
            const record = JSON.parse(row.data!) as Record<string, unknown>;
            const v = r.schema.safeParse(record);
            assert.ok(v.success, `${file}:${row.line}: ${v.error?.message}`);
            assert.equal(record[r.key], row.key, `${file}:${row.line}: key`);
          }
        }
      }
    });

    it('proposal types: the documented example is accepted and garbage refused', () => {
      const ids = adapter.proposalTypes.map((t) => t.id);
      assert.equal(new Set(ids).size, ids.length, 'proposal type ids are unique');
      for (const t of adapter.proposalTypes as AnyProposalType[]) {
        assert.ok(t.example, `${t.id}: declare an example input`);
        const ok = t.input.safeParse(t.example);
        assert.ok(ok.success, `${t.id}: example accepted: ${ok.error?.message}`);
        for (const garbage of [null, 'garbage', 42, [], {}, { ...t.example, unexpectedField: 'x' }])
          assert.equal(
            t.input.safeParse(garbage).success,
            false,
            `${t.id}: refuses ${JSON.stringify(garbage)}`,
          );
        for (const field of Object.keys(t.example))
          assert.equal(
            t.input.safeParse({ ...t.example, [field]: { garbage: true } }).success,
            false,
            `${t.id}: refuses an object as ${field}`,
          );
      }
    });

    it('proposal types against the example record: impact, expected state, instructions, reversal, write', async () => {
      const link = adapter.soap ?? adapter.http!;
      for (const t of adapter.proposalTypes as AnyProposalType[]) {
        const r = adapter.resources.find((x) => x.name === t.resource);
        assert.ok(r, `${t.id}: targets a resource of the adapter`);
        const input = t.input.parse(t.example) as Record<string, unknown>;
        const key = handle(r.name).normaliseKey(t.targetKey(input));
        const record = (await handle(r.name).fetchOne(key))?.data;
        assert.ok(record, `${t.id}: the example targets ${r.name}/${key}, which exists`);

        const impact = t.impact(input, record);
        assert.equal(typeof impact.amount, 'string', `${t.id}: impact is a decimal string, never a float`);
        assert.match(impact.amount, DECIMAL, `${t.id}: impact amount`);
        assert.match(impact.currency, /^[A-Z]{3}$/);
        assert.ok(impact.summary.trim().length > 0);

        const expected = t.expected(input, record) as Record<string, unknown>;
        const shape = shapeOf(r);
        assert.ok(Object.keys(expected).length > 0, `${t.id}: expects something`);
        for (const f of Object.keys(expected))
          assert.ok(f in shape, `${t.id}: expected ${f} is a record field`);
        const partial = (r.schema as unknown as z.ZodObject).partial().safeParse(expected);
        assert.ok(partial.success, `${t.id}: expected state validates: ${partial.error?.message}`);
        for (const f of t.dependsOn ?? []) assert.ok(f in shape, `${t.id}: depends on ${f}, a record field`);
        const problems = t.check?.(input, record) ?? [];
        assert.ok(Array.isArray(problems) && problems.every((p) => typeof p === 'string'));

        const steps = t.instructions(input, record);
        assert.ok(steps.length > 0 && steps.every((s) => s.text.trim().length > 0), `${t.id}: instructions`);

        if (t.reversal.kind === 'reversible') {
          const reverseId = t.reversal.type ?? t.id;
          const reverse = (adapter.proposalTypes as AnyProposalType[]).find((x) => x.id === reverseId);
          assert.ok(reverse, `${t.id}: reversed by ${reverseId}, a type of the adapter`);
          const back = reverse.input.safeParse(t.reversal.input(input, record));
          assert.ok(back.success, `${t.id}: the reversal input validates: ${back.error?.message}`);
        } else {
          assert.ok(t.reversal.reason.trim().length > 0, `${t.id}: says why it cannot be undone`);
        }

        if (t.write) {
          const op = link.operations[t.write.operation];
          const kind = typeof op === 'string' ? op : op?.kind;
          assert.equal(kind, 'write', `${t.id}: ${t.write.operation} is a declared write operation`);
          const args = t.write.args(input, record);
          assert.equal(typeof args, 'object');
          if (adapter.http)
            buildRequest('http://example.invalid', adapter.http.operations[t.write.operation]!, args);
        }
      }
    });
  });
}

describe('adapters standing for the same system serve agents the same thing', () => {
  let all: AdapterDefinition[];
  before(async () => {
    all = [];
    for (const f of folders) all.push(...(await loadAdapters([f])));
  });

  const json = (s: z.ZodType, io: 'input' | 'output' = 'output') =>
    JSON.stringify(z.toJSONSchema(s, { io, unrepresentable: 'any' }));

  it('the same resources, record schemas and proposal types', () => {
    const bySystem = new Map<string, AdapterDefinition[]>();
    for (const a of all) bySystem.set(a.system, [...(bySystem.get(a.system) ?? []), a]);
    const pairs = [...bySystem.values()].filter((g) => g.length > 1);
    assert.ok(pairs.length > 0, 'the ERP and its replacement share a system id');
    for (const [first, ...others] of pairs) {
      for (const other of others) {
        const where = `${first!.title} vs ${other.title}`;
        const resourceView = (a: AdapterDefinition) =>
          a.resources
            .map((r) => ({
              name: r.name,
              entity: r.entity,
              key: r.key,
              sensitive: [...r.sensitive],
              filterable: [...r.filterable],
              staleAfterSeconds: r.staleAfterSeconds,
              listable: Boolean(r.fetchPage),
              polled: Boolean(r.poll),
              schema: json(r.schema),
            }))
            .sort((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(resourceView(other), resourceView(first!), `${where}: resources`);
        const typeView = (a: AdapterDefinition) =>
          (a.proposalTypes as AnyProposalType[])
            .map((t) => ({
              id: t.id,
              title: t.title,
              description: t.description,
              resource: t.resource,
              input: json(t.input, 'input'),
              reversible: t.reversal.kind,
              reverseType: t.reversal.kind === 'reversible' ? (t.reversal.type ?? t.id) : null,
              gatedWriteCapable: Boolean(t.write),
              dependsOn: t.dependsOn ?? null,
            }))
            .sort((a, b) => a.id.localeCompare(b.id));
        assert.deepEqual(typeView(other), typeView(first!), `${where}: proposal types`);
      }
    }
  });
});
