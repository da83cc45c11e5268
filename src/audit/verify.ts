/** `seam audit verify`: recompute the whole chain and name the first row that does not fit. */
import type { Queryable, Store } from '../store/types.ts';
import { entryHash, GENESIS_HASH, preparedFromRow } from './chain.ts';
import type { DbAuditRow } from './types.ts';

export interface VerifyResult {
  ok: boolean;
  /** Rows checked. */
  checked: number;
  headSeq: number;
  firstBroken?: { seq: number; problem: string };
}

/**
 * Check the chain as of one moment: a read-only REPEATABLE READ transaction sees the head and the
 * rows as one snapshot, so entries appended while it runs (the service keeps recording) are neither
 * half-seen nor mistaken for rows past the head.
 */
export function verifyChain(store: Pick<Store, 'transaction'>, pageSize = 2000): Promise<VerifyResult> {
  return store.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return verifySnapshot(tx, pageSize);
  });
}

async function verifySnapshot(db: Queryable, pageSize: number): Promise<VerifyResult> {
  const head = (await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head')).rows[0];
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  const fail = (seq: number, problem: string): VerifyResult => ({
    ok: false,
    checked,
    headSeq: head?.seq ?? 0,
    firstBroken: { seq, problem },
  });
  if (!head) return fail(0, 'the chain head row is missing');
  for (;;) {
    const r = await db.query<DbAuditRow>('SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2', [
      expectedSeq,
      pageSize,
    ]);
    for (const row of r.rows) {
      if (row.seq !== expectedSeq) return fail(expectedSeq, `row ${expectedSeq} is missing`);
      if (row.prev_hash !== prevHash) return fail(row.seq, 'its prev_hash is not the previous row’s hash');
      const hash = entryHash(prevHash, row.seq, preparedFromRow(row));
      if (hash !== row.hash) return fail(row.seq, 'its content does not match its hash (altered)');
      prevHash = row.hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (r.rows.length < pageSize) break;
  }
  const last = expectedSeq - 1;
  if (last < head.seq) return fail(last + 1, `rows ${last + 1}..${head.seq} are missing (deleted)`);
  if (last > head.seq) return fail(head.seq + 1, 'rows exist past the chain head');
  if (head.hash !== prevHash) return fail(last, 'the chain head does not match the last row');
  return { ok: true, checked, headSeq: head.seq };
}
