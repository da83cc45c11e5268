/** The approval policy file and the money arithmetic it rests on (pure: no store). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { differences, equalValues } from '../src/proposals/compare.ts';
import { decimal } from '../src/proposals/decimal.ts';
import { dayOf } from '../src/proposals/mode.ts';
import { loadPolicy, parsePolicy, PolicyError, route, satisfiesStep } from '../src/proposals/policy.ts';
import { ROOT } from './helpers/process.ts';
import { TEST_POLICY } from './helpers/proposals.ts';

describe('decimal money', () => {
  it('adds, subtracts and multiplies exactly, with half-away-from-zero rounding', () => {
    assert.equal(decimal.add('0.10', '0.20'), '0.30');
    assert.equal(decimal.sub('15000.00', '17000'), '-2000.00');
    assert.equal(decimal.mul('176.86', -3), '-530.58');
    assert.equal(decimal.mul('0.005', 1), '0.01');
    assert.equal(decimal.mul('-0.005', 1), '-0.01');
    assert.equal(decimal.format('5000'), '5000.00');
    assert.equal(decimal.cmp('5000.00', '5000'), 0);
    assert.equal(decimal.abs('-12.5'), '12.50');
    assert.throws(() => decimal.add('1e3', '1'), /Not a decimal/);
    assert.throws(() => decimal.add(0.1, 1), /Not an exact integer/);
  });

  it('compares records as the business means it', () => {
    assert.ok(equalValues('5000', '5000.00'));
    assert.ok(!equalValues('5000.01', '5000.00'));
    assert.ok(equalValues(170, 170));
    assert.ok(!equalValues('HOLD', 'ACTIVE'));
    assert.deepEqual(
      differences({ status: 'HOLD', creditLimit: '10.00' }, { status: 'ACTIVE', creditLimit: '10' }),
      [{ field: 'status', expected: 'HOLD', actual: 'ACTIVE' }],
    );
  });
});

describe('policy routing', () => {
  const policy = parsePolicy(TEST_POLICY, 'test');

  it('follows the guidance at each boundary', () => {
    const tier = (amount: string, currency = 'GBP') => route(policy, 'any', { amount, currency }).tier;
    assert.equal(tier('499.99'), 'small');
    assert.equal(tier('-499.99'), 'small', 'the size of a change counts, not its sign');
    assert.equal(tier('500.00'), 'medium');
    assert.equal(tier('5000.00'), 'medium');
    assert.equal(tier('5000.01'), 'large');
    assert.equal(tier('-20000'), 'large');
  });

  it('converts other currencies, and sends an unknown one to the strictest tier', () => {
    const eur = route(policy, 'any', { amount: '5800.00', currency: 'EUR' });
    assert.equal(eur.amount, '4930.00');
    assert.equal(eur.tier, 'medium');
    const jpy = route(policy, 'any', { amount: '1.00', currency: 'JPY' });
    assert.equal(jpy.tier, 'large');
    assert.match(jpy.why, /no rate from JPY/);
  });

  it('says who must approve, with deadlines and the policy that decided', () => {
    const r = route(policy, 'any', { amount: '9000', currency: 'GBP' });
    assert.deepEqual(r.steps, [{ named: ['dana.named'] }, 'approver']);
    assert.equal(r.approveWithinMs, 24 * 3_600_000);
    assert.equal(r.executeWithinMs, 72 * 3_600_000);
    assert.equal(r.policy.source, 'test');
    assert.ok(satisfiesStep(r.steps[0]!, 'Dana.Named'));
    assert.ok(!satisfiesStep(r.steps[0]!, 'anna.approver'));
    assert.equal(route(policy, 'any', { amount: '10', currency: 'GBP' }).approveWithinMs, null);
  });

  it('applies per-type rules over the general ones', () => {
    const p = parsePolicy(
      TEST_POLICY +
        `types:
  issue-credit:
    execute_within: 4h
    tiers:
      - name: always
        approvals: [approver]
        approve_within: 1h
`,
      'test',
    );
    const r = route(p, 'issue-credit', { amount: '1.00', currency: 'GBP' });
    assert.equal(r.tier, 'always');
    assert.equal(r.executeWithinMs, 4 * 3_600_000);
    assert.equal(route(p, 'set-credit-limit', { amount: '1.00', currency: 'GBP' }).tier, 'small');
  });

  it('refuses a policy file it cannot read, naming each bad entry', () => {
    assert.throws(() => parsePolicy('tiers: [', 'bad.yaml'), PolicyError);
    assert.throws(
      () => parsePolicy('currency: EUR\ntiers:\n  - name: a\n    below: ten\n    approvals: none\n', 'x'),
      /tiers\.0\.below/,
    );
    assert.throws(
      () =>
        parsePolicy(
          'currency: EUR\ntiers:\n  - name: a\n    approvals: none\n  - name: b\n    approvals: [approver]\n',
          'x',
        ),
      /only the last tier may have no upper bound.*\n.*needs approve_within/s,
    );
    assert.throws(() => parsePolicy('currency: EUR\nsurprise: 1\ntiers: []\n', 'x'), /surprise|tiers/);
  });

  it('ships a policy file that parses, and has defaults when there is none', () => {
    const shipped = loadPolicy(path.join(ROOT, 'policy/proposals.yaml'));
    assert.equal(shipped.currency, 'GBP');
    assert.equal(route(shipped, 'issue-credit', { amount: '10', currency: 'GBP' }).tier, 'credit-note');
    const defaults = loadPolicy(path.join(ROOT, 'policy/does-not-exist.yaml'));
    assert.equal(defaults.source, 'defaults');
    assert.equal(route(defaults, 'x', { amount: '499', currency: 'EUR' }).tier, 'small');
  });
});

describe('the 90-day clock', () => {
  it('counts the go-live date as day 1', () => {
    assert.equal(dayOf('2026-01-01', new Date('2026-01-01T23:59:00Z')), 1);
    assert.equal(dayOf('2026-01-01', new Date('2026-03-31T00:00:00Z')), 90);
    assert.equal(dayOf('2026-01-01', new Date('2026-04-01T00:00:00Z')), 91);
    assert.equal(dayOf('2026-01-10', new Date('2026-01-09T12:00:00Z')), 0);
  });
});
