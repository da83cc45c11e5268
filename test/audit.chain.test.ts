/**
 * The exact text the audit chain and record hashes are computed over. Stored hashes depend on it, so
 * these tests pin it to literal strings: a change of format (key order, how undefined or null is
 * written) fails here instead of breaking `seam audit verify` on every existing trail.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalJson } from '../src/canonical.ts';
import { entryContent, entryHash, GENESIS_HASH } from '../src/audit/chain.ts';
import type { PreparedEntry } from '../src/audit/types.ts';

const entry: PreparedEntry = {
  at: new Date('2026-11-17T09:30:00.123Z'),
  actorKind: 'agent',
  actorId: 'key_01',
  actorName: 'billing-bot',
  action: 'GET /v1/accounts/:id',
  records: ['accounts/004471'],
  input: { params: { id: '004471' }, query: { z: 1, a: [true, null] } },
  decision: 'allowed',
  reason: null,
  status: 200,
  result: null,
  requestId: 'req-1',
};

/** The content as the first version of the chain wrote it: a generic canonical form of one object. */
function reference(seq: number, e: PreparedEntry): string {
  return canonicalJson({
    seq,
    at: e.at.toISOString(),
    actor: [e.actorKind, e.actorId, e.actorName],
    action: e.action,
    records: e.records,
    input: e.input,
    decision: e.decision,
    reason: e.reason,
    status: e.status,
    result: e.result,
    requestId: e.requestId,
  });
}

describe('canonical JSON', () => {
  it('sorts keys by code unit at every depth, drops undefined properties, writes undefined items as null', () => {
    assert.equal(
      canonicalJson({
        b: 1,
        a: { d: [3, undefined, { y: 'x', x: null }], c: 'é' },
        Z: true,
        é: 0,
        u: undefined,
      }),
      '{"Z":true,"a":{"c":"é","d":[3,null,{"x":null,"y":"x"}]},"b":1,"é":0}',
    );
    assert.equal(canonicalJson(undefined), 'null');
    assert.equal(canonicalJson([]), '[]');
    assert.equal(canonicalJson({}), '{}');
    assert.equal(canonicalJson({ k: undefined }), '{}');
    assert.equal(canonicalJson('a"b\n'), '"a\\"b\\n"');
  });
});

describe('audit chain content', () => {
  it('is the pinned text, and the hash is sha256 of previous hash, newline, text', () => {
    const text =
      '{"action":"GET /v1/accounts/:id","actor":["agent","key_01","billing-bot"],' +
      '"at":"2026-11-17T09:30:00.123Z","decision":"allowed",' +
      '"input":{"params":{"id":"004471"},"query":{"a":[true,null],"z":1}},"reason":null,' +
      '"records":["accounts/004471"],"requestId":"req-1","result":null,"seq":7,"status":200}';
    assert.equal(entryContent(7, entry), text);
    assert.equal(
      entryHash(GENESIS_HASH, 7, entry),
      createHash('sha256').update(`${GENESIS_HASH}\n${text}`).digest('hex'),
    );
  });

  it('equals the generic canonical form for entries of every shape', () => {
    const variants: Partial<PreparedEntry>[] = [
      {},
      { input: undefined, result: undefined },
      { input: null, result: { aborted: true }, status: null, requestId: null, reason: 'no scope' },
      { records: [], decision: 'denied', actorKind: 'human', actorName: 'Zoë "Z" O\'Neil' },
      { input: { body: { nested: { deep: [1, 'two', { b: 2, a: 1 }] } } }, records: ['a/1', 'b/2'] },
      { action: 'POST /v1/proposals', input: { '': 1, ' ': 2, A: 3, a: 4 } },
    ];
    for (const [i, v] of variants.entries()) {
      const e = { ...entry, ...v } as PreparedEntry;
      assert.equal(entryContent(i, e), reference(i, e), JSON.stringify(v));
    }
  });
});
