import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StageRow } from '../src/ingest/rows.ts';
import { copyStager, dropStaging, insertStager, type Stager } from '../src/ingest/staging.ts';
import type { Store } from '../src/store/types.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const good = (line: number, data: string): StageRow => ({
  line,
  key: `K${line}`,
  status: 'ok',
  op: 'U',
  hash: 'ab'.repeat(32),
  data,
  field: null,
  reasonCode: null,
  reason: null,
  raw: null,
});

for (const target of storeTargets()) {
  describe(`staging keeps every row and its exact text, whatever its size (${target.kind})`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
    });
    after(() => disposeTestStore(store));

    it('rows small and larger than a COPY piece, with characters COPY and UTF-8 must carry', async () => {
      const table = 'ingest_stage_test_rows';
      const stager: Stager = target.url
        ? await copyStager(target.url, store.schema, table, 'text')
        : await insertStager(store, table);
      const rows: StageRow[] = [];
      for (let line = 1; line <= 3000; line++) {
        const big = line % 500 === 0;
        const text = big ? 'é\\t\n'.repeat(40_000) + line : `row ${line} "q" \\ tab\tnewline\n€`;
        rows.push(good(line, JSON.stringify({ text })));
      }
      for (const r of rows) await stager.add(r);
      await stager.finish();
      const got = await store.query<{ line: number; key: string; data: unknown }>(
        `SELECT line, key, data::text AS data FROM ${table} ORDER BY line`,
      );
      assert.equal(got.rows.length, rows.length);
      for (let i = 0; i < rows.length; i++) {
        assert.equal(got.rows[i]!.line, rows[i]!.line);
        assert.equal(got.rows[i]!.key, rows[i]!.key);
        assert.deepEqual(
          JSON.parse(got.rows[i]!.data as string),
          JSON.parse(rows[i]!.data!),
          `line ${i + 1}`,
        );
      }
      await dropStaging(store, table);
    });
  });
}
