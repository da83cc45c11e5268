/**
 * A new embedded store folder gets its database made (initdb) in a child process and renamed into
 * place (src/store/pglite.ts), so that initdb's memory is not kept by the serving process. Here:
 * the folder works and keeps its data, and what a crash half-way through leaves is cleared.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../src/store/index.ts';
import { silentLog } from './helpers/store.ts';

describe('a new embedded store folder (pglite)', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-init-'));
  after(() => fs.rmSync(work, { recursive: true, force: true }));
  const open = (dataDir: string) => openStore({ schema: 'seam', poolMax: 1, dataDir }, silentLog);
  /** Where the store keeps PGlite's files under its data folder. */
  const db = (dataDir: string) => path.join(dataDir, 'pglite');

  it('is made, works, and keeps its data across a reopen', async () => {
    const dir = path.join(work, 'fresh');
    const first = await open(dir);
    await first.exec('CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await first.close();
    assert.ok(fs.existsSync(path.join(db(dir), 'PG_VERSION')));
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('.init-')),
      [],
      'no temporary folder left beside it',
    );
    const again = await open(dir);
    try {
      assert.deepEqual((await again.query<{ v: number }>('SELECT v FROM kept')).rows, [{ v: 42 }]);
    } finally {
      await again.close();
    }
  });

  it('clears what a crash during its making left, and is made again', async () => {
    const dir = path.join(work, 'crashed');
    fs.mkdirSync(db(dir), { recursive: true });
    // A half-made database from a killed attempt of another process.
    const left = path.join(dir, 'pglite.init-999999');
    fs.mkdirSync(path.join(left, 'base'), { recursive: true });
    fs.writeFileSync(path.join(left, 'postgresql.conf'), '# half written');
    const store = await open(dir);
    try {
      assert.equal((await store.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
    } finally {
      await store.close();
    }
    assert.equal(fs.existsSync(left), false, 'the leftover is gone');
    assert.ok(fs.existsSync(path.join(db(dir), 'PG_VERSION')));
  });

  it('opens a folder it did not make without making it again', async () => {
    const dir = path.join(work, 'fresh');
    const version = fs.statSync(path.join(db(dir), 'PG_VERSION')).mtimeMs;
    const store = await open(dir);
    await store.close();
    assert.equal(fs.statSync(path.join(db(dir), 'PG_VERSION')).mtimeMs, version);
  });
});
