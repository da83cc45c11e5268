/**
 * kill -9 in the middle of a big ingest, then a restart: exactly once holds (the records equal the
 * file, the events equal the diff, once). `seam ingest` runs as a real child process and is killed
 * with SIGKILL while its apply transaction is open.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accountsFeed } from '../adapters/acme-erp/feeds.ts';
import { expectedDiff, snapshotRows, writeAccountsCsv } from '../bench/generate-accounts.ts';
import { canonicalJson } from '../src/records/repo.ts';
import type { Store } from '../src/store/types.ts';
import { ensureDropDirs } from '../src/ingest/files.ts';
import { ROOT, SEAM_BIN, runSeam } from './helpers/process.ts';
import { openStore } from '../src/store/index.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets, uniqueSchema } from './helpers/store.ts';

/**
 * Rows per snapshot. On PostgreSQL the size the issue asks for: a million-row snapshot (999,000,
 * because the demo's account numbers have 6 digits and the second snapshot adds 0.1% new keys
 * above the first's). On PGlite, where one core runs both the ingest and the database, a smaller
 * one that still keeps the apply transaction open for a while.
 */
const ROWS: Record<string, number> = { postgres: 999_000, pglite: 5_000 };

/** Start `seam ingest FILE` and SIGKILL it as soon as it logs `marker`. */
function killAt(
  args: string[],
  env: Record<string, string>,
  marker: string,
): Promise<{ killed: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SEAM_BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let killed = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!killed && out.includes(marker)) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', () => resolve({ killed, out }));
  });
}

for (const target of storeTargets()) {
  describe(`kill -9 in the middle of a big ingest (${target.kind})`, () => {
    const n = ROWS[target.kind]!;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-crash-'));
    const dropDir = path.join(work, 'drop');
    const dataDir = path.join(work, 'data');
    const schema = uniqueSchema(import.meta.filename);
    const env: Record<string, string> = {
      SEAM_INGEST_DROP_DIR: dropDir,
      SEAM_DB_SCHEMA: schema,
      SEAM_DATA_DIR: dataDir,
      ...(target.url ? { DATABASE_URL: target.url } : { DATABASE_URL: '' }),
    };
    let store: Store | undefined;
    const A = 'ACCOUNTS_20240301.csv';
    const B = 'ACCOUNTS_20240302.csv';

    before(async () => {
      ensureDropDirs(dropDir);
      await writeAccountsCsv(path.join(work, A), snapshotRows(n, 'a', 6));
      await writeAccountsCsv(path.join(work, B), snapshotRows(n, 'b', 6));
    });
    after(async () => {
      if (store) await disposeTestStore(store);
      fs.rmSync(work, { recursive: true, force: true });
    });

    it(
      'restart finishes the job: records equal the file, events equal the diff, exactly once',
      { timeout: 600_000 },
      async () => {
        fs.copyFileSync(path.join(work, A), path.join(dropDir, A));
        // With a progress bar (forced: stderr is a pipe here), which stays off stdout's JSON.
        const first = await runSeam(['ingest', path.join(dropDir, A), '--json', '--progress'], env);
        assert.equal(first.code, 0, first.stderr);
        const a = JSON.parse(first.stdout) as { status: string; changes: { created: number } };
        assert.equal(a.changes.created, n);
        const bar = first.stderr.split('\n').filter((l) => l.startsWith(`${A} `));
        assert.ok(bar.length >= 1, `a progress bar on stderr:\n${first.stderr.slice(-2000)}`);
        // Every record of the file counted, header and trailer included, then the apply.
        assert.match(
          bar.at(-1)!,
          new RegExp(`100% \\| ${(n + 2).toLocaleString('en-US')} records \\| applying`),
        );

        fs.copyFileSync(path.join(work, B), path.join(dropDir, B));
        // Killed with its apply transaction open (records and events half written).
        const crash = await killAt(
          ['ingest', path.join(dropDir, B), '--json'],
          env,
          'file read and staged; applying',
        );
        assert.ok(crash.killed, `the child was killed mid-ingest:\n${crash.out.slice(-2000)}`);
        assert.ok(fs.existsSync(path.join(dropDir, B)), 'the file is still waiting');

        const again = await runSeam(['ingest', path.join(dropDir, B), '--json'], env);
        assert.equal(again.code, 0, again.stderr);
        const b = JSON.parse(again.stdout) as { status: string; changes: Record<string, number> };
        const diff = expectedDiff(n, 6);
        assert.equal(b.status, 'applied');
        assert.deepEqual(b.changes, {
          created: diff.created.length,
          updated: diff.updated.length,
          deleted: diff.deleted.length,
          unchanged: n - diff.deleted.length - diff.updated.length,
        });
        // Once more: it is a recorded duplicate now.
        fs.copyFileSync(path.join(work, B), path.join(dropDir, B));
        const third = await runSeam(['ingest', path.join(dropDir, B), '--json'], env);
        assert.equal(JSON.parse(third.stdout).status, 'duplicate');

        store = target.url
          ? await openTestStore(target, import.meta.filename, { schema })
          : await openStore({ schema, poolMax: 2, dataDir }, silentLog);

        // Records equal file B: same live keys, each with the hash of its normalised row.
        const want = new Map<string, string>();
        for (const raw of snapshotRows(n, 'b', 6)) {
          const rec = accountsFeed.record!.parse(accountsFeed.row.parse(raw)) as Record<string, unknown>;
          want.set(String(rec.accountNumber), hash('sha256', canonicalJson(rec), 'hex'));
        }
        const live = await store.query<{ key: string; hash: string }>(
          "SELECT key, hash FROM records WHERE resource = 'accounts' AND deleted_at IS NULL",
        );
        assert.equal(live.rows.length, want.size);
        let mismatched = 0;
        for (const r of live.rows) if (want.get(r.key) !== r.hash) mismatched++;
        assert.equal(mismatched, 0, 'every live record equals its row in file B');

        // Events of B equal the diff, once each.
        const ev = await store.query<{ type: string; key: string }>(
          `SELECT type, aggregate_id AS key FROM events
          WHERE type LIKE 'erp.account.%' AND data -> 'provenance' ->> 'file' = $1`,
          [B],
        );
        const got = (t: string) =>
          ev.rows
            .filter((r) => r.type === `erp.account.${t}`)
            .map((r) => r.key)
            .sort();
        assert.deepEqual(got('created'), diff.created);
        assert.deepEqual(got('updated'), diff.updated);
        assert.deepEqual(got('deleted'), diff.deleted);
        const ledger = await store.query<{ status: string }>(
          'SELECT status FROM ingest_files WHERE file_name = $1 ORDER BY finished_at',
          [B],
        );
        assert.deepEqual(
          ledger.rows.map((r) => r.status),
          ['applied', 'duplicate'],
          'the killed attempt left no row',
        );
        const gaps = await store.query<{ n: number; max: number }>(
          'SELECT count(*)::int AS n, max(position)::int AS max FROM events',
        );
        assert.equal(gaps.rows[0]!.n, gaps.rows[0]!.max, 'no gap in event positions');
      },
    );

    it(
      '`seam ingest` exits 1 on a rejected file and `seam ingest quarantine` shows bad rows',
      { timeout: 120_000 },
      async () => {
        if (target.kind === 'pglite') {
          // The embedded database is one process's at a time: let the child have it.
          await store?.close();
          store = undefined;
        }
        const header =
          'ACCT_NO,ACCT_NAME,ACCT_STAT,CR_LIMIT,CUR_BAL,CURR_CD,EMAIL_ADDR,PHONE_NO,OPEN_DT,LAST_UPD';
        const row = (no: string, st: string) => `${no},X,${st},1.00,1.00,GBP,,,,20240301120000`;
        const bad = path.join(dropDir, 'ACCOUNTS_20240310.csv');
        fs.writeFileSync(
          bad,
          [header, row('000001', 'A'), row('000002', 'Q'), 'TRAILER,2,2.00'].join('\r\n') + '\r\n',
        );
        const r = await runSeam(['ingest', bad], env);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stdout, /rejected: too_many_bad_rows/);
        const q = await runSeam(['ingest', 'quarantine', '--file', 'ACCOUNTS_20240310.csv', '--json'], env);
        assert.equal(q.code, 0, q.stderr);
        const rows = (JSON.parse(q.stdout) as { rows: { line: number; field: string; reasonCode: string }[] })
          .rows;
        assert.deepEqual(
          rows.map((x) => [x.line, x.field, x.reasonCode]),
          [[3, 'ACCT_STAT', 'invalid_field']],
        );
        const files = await runSeam(['ingest', 'files', '--status', 'rejected', '--json'], env);
        assert.deepEqual(
          (JSON.parse(files.stdout) as { files: { fileName: string; reasonCode: string }[] }).files.map(
            (f) => [f.fileName, f.reasonCode],
          ),
          [['ACCOUNTS_20240310.csv', 'too_many_bad_rows']],
        );
      },
    );
  });
}
