import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('has working defaults with an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.http.port, 8080);
    assert.equal(c.http.host, '127.0.0.1');
    assert.equal(c.store.url, undefined);
    assert.equal(c.store.dataDir, path.resolve('.seam-data'));
  });

  it('names each bad variable and what is wrong', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const vars = err.issues.map((i) => i.variable).sort();
        assert.deepEqual(vars, ['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
        assert.match(err.message, /DATABASE_URL: must be a postgres:\/\//);
        assert.match(err.message, /PORT: .*"eighty"/);
        return true;
      },
    );
  });

  it('treats empty strings as unset', () => {
    assert.equal(loadConfig({ DATABASE_URL: '' }).store.url, undefined);
  });
});
