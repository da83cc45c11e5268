import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { backoffMs } from '../src/events/webhooks/worker.ts';
import { compileFilter, globToLike } from '../src/events/filter.ts';

describe('event settings', () => {
  it('parses retention ages and webhook lists, and names a bad variable', () => {
    const c = loadConfig({
      SEAM_DATA_DIR: '/tmp/seam-x',
      SEAM_EVENTS_MAX_AGE: '90d',
      SEAM_WEBHOOK_ALLOWED_HOSTS: 'Hooks.Example.com, *.partner.net',
      SEAM_WEBHOOK_ALLOWED_ADDRESSES: '10.1.0.0/16,127.0.0.1',
    });
    assert.equal(c.events.retention.maxAgeMs, 90 * 86_400_000);
    assert.equal(c.events.retention.mode, 'archive');
    assert.equal(c.events.retention.archiveDir, '/tmp/seam-x/events-archive');
    assert.deepEqual(c.events.webhooks.allowedHosts, ['hooks.example.com', '*.partner.net']);
    assert.deepEqual(c.events.webhooks.allowedAddresses, ['10.1.0.0/16', '127.0.0.1']);
    assert.equal(loadConfig({}).events.retention.maxAgeMs, undefined, 'unset keeps events forever');
    for (const [variable, value] of [
      ['SEAM_EVENTS_MAX_AGE', '90 days'],
      ['SEAM_WEBHOOK_ALLOWED_ADDRESSES', '10.0.0.0/33'],
      ['SEAM_WEBHOOK_ALLOWED_ADDRESSES', 'intranet'],
      ['SEAM_EVENTS_RETENTION_CRON', 'every night'],
      ['SEAM_EVENTS_RETENTION_MODE', 'shred'],
    ] as const) {
      assert.throws(
        () => loadConfig({ [variable]: value }),
        (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.variable === variable),
        `${variable}=${value}`,
      );
    }
  });

  it('backs off exponentially with jitter, capped', () => {
    assert.equal(
      backoffMs(1, 1000, 60_000, () => 0),
      500,
    );
    assert.equal(
      backoffMs(1, 1000, 60_000, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(4, 1000, 60_000, () => 1),
      8000,
    );
    assert.equal(
      backoffMs(30, 1000, 60_000, () => 1),
      60_000,
    );
  });

  it('matches type globs the same way in SQL patterns and in memory', () => {
    assert.equal(globToLike('erp.account_x.*'), 'erp.account\\_x.%');
    const f = compileFilter({ types: ['erp.account.*', 'seam.proposal.ap?roved'], subject: 'accounts/' });
    assert.equal(f.matches({ type: 'erp.account.updated', subject: 'accounts/1' }), true);
    assert.equal(f.matches({ type: 'erp.account.updated', subject: 'items/1' }), false);
    assert.equal(f.matches({ type: 'erp.accountXupdated', subject: 'accounts/1' }), false, '. is literal');
    assert.equal(f.matches({ type: 'seam.proposal.approved', subject: 'accounts/p' }), true);
    assert.equal(f.matches({ type: 'seam.proposal.approved.late', subject: 'accounts/p' }), false);
  });
});
