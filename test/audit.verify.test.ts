import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appendEntries } from '../src/audit/append.ts';
import { Masker } from '../src/audit/prepare.ts';
import { verifyChain } from '../src/audit/verify.ts';
import type { Store } from '../src/store/types.ts';
import { runSeam } from './helpers/process.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const masker = new Masker();
const entry = (i: number, by = 'writer') =>
  masker.prepare({
    actor: { kind: 'agent', id: `id-${by}`, name: by },
    action: 'GET /v1/accounts/:id',
    records: [`accounts/${String(i).padStart(6, '0')}`],
    input: { params: { id: i }, nested: { list: [1, 'two', null, { b: 1, a: 2 }] } },
    status: 200,
  });

async function append(store: Store, entries: ReturnType<typeof entry>[]): Promise<void> {
  await store.transaction((tx) => appendEntries(tx, entries));
}

/** Alter the trail the way an attacker with the owner role would: switch the guard off first. */
async function tamper(store: Store, sql: string): Promise<void> {
  await store.exec(
    `ALTER TABLE audit_log DISABLE TRIGGER USER; ${sql}; ALTER TABLE audit_log ENABLE TRIGGER USER;`,
  );
}

for (const target of storeTargets()) {
  describe(`audit verify on ${target.kind}`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
    });
    after(async () => {
      await disposeTestStore(store);
    });

    it('finds an intact chain intact, then names the first altered row', async () => {
      await append(store, [entry(1), entry(2), entry(3)]);
      await append(store, [entry(4), entry(5)]);
      assert.deepEqual(await verifyChain(store), { ok: true, checked: 5, headSeq: 5 });

      await tamper(store, "UPDATE audit_log SET records = ARRAY['accounts/999999'] WHERE seq = 3");
      const v = await verifyChain(store);
      assert.equal(v.ok, false);
      assert.equal(v.firstBroken?.seq, 3);
      assert.match(v.firstBroken!.problem, /altered/);
      assert.equal(v.checked, 2);
    });

    it('names a row whose stored hash was edited', async () => {
      await tamper(store, "UPDATE audit_log SET records = ARRAY['accounts/000003'] WHERE seq = 3");
      assert.equal((await verifyChain(store)).ok, true, 'restored');
      await tamper(store, "UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = 2");
      const v = await verifyChain(store);
      assert.equal(v.firstBroken?.seq, 2);
    });
  });
}

describe('audit verify: deleted rows and the CLI', () => {
  let store: Store;
  let env: Record<string, string>;
  const target = storeTargets().find((t) => t.kind === 'postgres');
  before(async () => {
    // The CLI needs a store a second process can open: PostgreSQL when available, else a PGlite folder.
    if (target) {
      store = await openTestStore(target, import.meta.filename);
      env = { DATABASE_URL: target.url!, SEAM_DB_SCHEMA: store.schema };
    } else {
      const fs = await import('node:fs');
      const os = await import('node:os');
      const path = await import('node:path');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-verify-'));
      const { openStore, migrate } = await import('../src/store/index.ts');
      const { silentLog } = await import('./helpers/store.ts');
      store = await openStore({ schema: 'seam', poolMax: 1, dataDir: dir }, silentLog);
      await migrate(store, silentLog);
      env = { SEAM_DATA_DIR: dir, DATABASE_URL: '' };
    }
  });
  after(async () => {
    await disposeTestStore(store);
  });

  it('reports deleted tail rows, and `seam audit verify` exits 1 naming the row', async () => {
    await append(store, [entry(1), entry(2), entry(3), entry(4)]);
    await tamper(store, 'DELETE FROM audit_log WHERE seq >= 3');
    const v = await verifyChain(store);
    assert.equal(v.ok, false);
    assert.equal(v.firstBroken?.seq, 3);
    assert.match(v.firstBroken!.problem, /missing/);

    if (store.kind === 'pglite') await store.close();
    const run = await runSeam(['audit', 'verify', '--json'], env);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(JSON.parse(run.stdout).firstBroken.seq, 3);
    const text = await runSeam(['audit', 'verify'], env);
    assert.match(text.stdout, /BROKEN at entry 3/);
  });
});

for (const target of storeTargets().filter((t) => t.kind === 'postgres')) {
  describe('audit chain with two writers on one PostgreSQL schema', () => {
    let a: Store;
    let b: Store;
    before(async () => {
      a = await openTestStore(target, import.meta.filename);
      b = await openTestStore(target, import.meta.filename, { schema: a.schema, migrate: false });
    });
    after(async () => {
      await b.close();
      await disposeTestStore(a);
    });

    it('serialises appends from separate connection pools into one unbroken chain', async () => {
      const jobs: Promise<void>[] = [];
      for (let i = 0; i < 40; i++) {
        const s = i % 2 ? a : b;
        jobs.push(append(s, [entry(i, s === a ? 'a' : 'b'), entry(i + 1000, s === a ? 'a' : 'b')]));
      }
      await Promise.all(jobs);
      const v = await verifyChain(a);
      assert.deepEqual(v, { ok: true, checked: 80, headSeq: 80 });
    });

    it('verifies a chain that is growing meanwhile: one snapshot, never a false alarm', async () => {
      let writing = true;
      let appended = 0;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          await append(b, [entry(5000 + i, 'busy'), entry(6000 + i, 'busy')]);
          appended += 2;
        }
      })();
      try {
        const results = [];
        // Small pages, so each check spans many reads while the writer keeps committing between them.
        for (let i = 0; i < 15; i++) results.push(await verifyChain(a, 7));
        for (const r of results) assert.equal(r.ok, true, JSON.stringify(r));
        assert.ok(appended > 0, 'the writer committed while the checks ran');
        assert.ok(results.at(-1)!.headSeq > results[0]!.headSeq, 'each check saw the chain as it then was');
        for (const r of results) assert.equal(r.checked, r.headSeq);
      } finally {
        writing = false;
        await writer;
      }
    });
  });
}
