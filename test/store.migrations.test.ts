import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadMigrations, migrate } from '../src/store/migrate.ts';
import { openStore } from '../src/store/index.ts';
import type { Store } from '../src/store/types.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets, uniqueSchema } from './helpers/store.ts';

function migrationsDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-mig-'));
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
  return dir;
}

for (const target of storeTargets()) {
  describe(`migrations on ${target.kind}`, () => {
    const opened: Store[] = [];
    after(async () => {
      for (const s of opened) await disposeTestStore(s);
    });

    it('applies every numbered migration once, in order, and records each', async () => {
      const store = await openTestStore(target, import.meta.filename, { migrate: false });
      opened.push(store);
      const all = loadMigrations();
      const first = await migrate(store, silentLog);
      assert.deepEqual(
        first,
        all.map((m) => m.id),
      );
      const again = await migrate(store, silentLog);
      assert.deepEqual(again, []);
      const rows = await store.query<{ id: number }>('SELECT id FROM seam_migrations ORDER BY id');
      assert.deepEqual(
        rows.rows.map((r) => r.id),
        all.map((m) => m.id),
      );
    });

    it('rolls a failing migration back whole and stops there', async () => {
      const store = await openTestStore(target, import.meta.filename, { migrate: false });
      opened.push(store);
      const dir = migrationsDir({
        '0001_ok.sql': 'CREATE TABLE a (x int);',
        '0002_broken.sql': 'CREATE TABLE b (x int); INSERT INTO b VALUES (1); SELECT no_such_function();',
        '0003_later.sql': 'CREATE TABLE c (x int);',
      });
      await assert.rejects(migrate(store, silentLog, loadMigrations(dir)));
      const tables = await store.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
        [store.schema],
      );
      assert.deepEqual(
        tables.rows.map((r) => r.table_name),
        ['a', 'seam_migrations'],
      );
      const ids = await store.query<{ id: number }>('SELECT id FROM seam_migrations ORDER BY id');
      assert.deepEqual(
        ids.rows.map((r) => r.id),
        [1],
      );
    });

    it('refuses two migrations with the same number', () => {
      const dir = migrationsDir({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 1;' });
      assert.throws(() => loadMigrations(dir), /share number 1/);
    });

    if (target.kind === 'postgres') {
      it('is safe when several processes migrate the same schema at once', async () => {
        const schema = uniqueSchema(import.meta.filename);
        const stores = await Promise.all(
          [1, 2, 3, 4].map(() =>
            openStore({ url: target.url, schema, poolMax: 2, dataDir: 'memory://' }, silentLog),
          ),
        );
        try {
          const dir = migrationsDir({
            '0001_one.sql': 'CREATE TABLE one (x int); SELECT pg_sleep(0.2);',
            '0002_two.sql': 'CREATE TABLE two (x int);',
          });
          const results = await Promise.all(stores.map((s) => migrate(s, silentLog, loadMigrations(dir))));
          const appliedIds = results.flat().sort();
          assert.deepEqual(appliedIds, [1, 2], 'each migration applied by exactly one process');
          const rows = await stores[0]!.query<{ id: number }>('SELECT id FROM seam_migrations ORDER BY id');
          assert.deepEqual(
            rows.rows.map((r) => r.id),
            [1, 2],
          );
        } finally {
          await stores[0]!.exec(`DROP SCHEMA ${schema} CASCADE`);
          for (const s of stores) await s.close();
        }
      });
    }
  });
}
