import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runSeam, serveSeam } from './helpers/process.ts';
import { uniqueSchema } from './helpers/store.ts';

describe('seam serve (a real process)', () => {
  it('starts on the embedded store, keeps state across a restart, and stops cleanly on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-serve-'));
    const env = { SEAM_DATA_DIR: dataDir, DATABASE_URL: undefined };
    const first = await serveSeam(env);
    assert.equal((await fetch(first.url + '/healthz')).status, 200);
    assert.equal((await fetch(first.url + '/readyz')).status, 200);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.match(first.output(), /migration applied/);
    assert.match(first.output(), /shutdown complete/);
    assert.ok(fs.existsSync(path.join(dataDir, 'pglite')), 'PGlite keeps its files under the data dir');

    const second = await serveSeam(env);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
    assert.doesNotMatch(
      second.output(),
      /migration applied/,
      'state (applied migrations) survived the restart',
    );
  });

  it('refuses to start on a bad setting, naming the variable', async () => {
    const r = await runSeam(['serve'], { PORT: 'http', SEAM_BODY_LIMIT: 'huge' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PORT: /);
    assert.match(r.stderr, /SEAM_BODY_LIMIT: must look like 100kb or 1mb/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('exits non-zero with a clear message when the store is down at start', async () => {
    const r = await runSeam(['serve'], {
      DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/test',
      SEAM_DB_SCHEMA: uniqueSchema('cli'),
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach the store \(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test\)/);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2/);
  });

  it('prints help for each command and exits 2 on an unknown one', async () => {
    const help = await runSeam(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /serve/);
    assert.match(help.stdout, /migrate/);
    const bad = await runSeam(['frobnicate']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command/);
  });
});

if (process.env.TEST_DATABASE_URL) {
  describe('seam on a real PostgreSQL', () => {
    it('migrates with DATABASE_URL and reports what is applied', async () => {
      const schema = uniqueSchema('cli_pg');
      const env = { DATABASE_URL: process.env.TEST_DATABASE_URL, SEAM_DB_SCHEMA: schema };
      const r = await runSeam(['migrate', '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { migrations: { id: number }[] };
      assert.ok(out.migrations.length >= 1);
      assert.equal(out.migrations[0]!.id, 1);
      const served = await serveSeam(env);
      const ready = (await (await fetch(served.url + '/readyz')).json()) as { status: string };
      assert.equal(ready.status, 'ok');
      served.child.kill('SIGTERM');
      assert.equal(await served.exited, 0);
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    });
  });
}
