/**
 * The rows `seam feed check` (./check.ts) keeps between reading a file and diffing it: line, key,
 * operation and hash of every row that names its key, in columns instead of one object per row, so
 * a snapshot of a million rows takes tens of megabytes rather than hundreds. Rows keep the order
 * they were read in (line order); an index sorted by key stands in for a per-key Map and Set.
 */

/** What a kept row stands for; `upsert` and `delete` are the rows the diff looks at. */
export const RowOp = {
  /** A good row: its record should exist with this content (snapshot row, insert, update). */
  upsert: 0,
  /** A good delta row deleting its record. */
  delete: 1,
  /** A bad row whose key could be read: it keeps its record from a snapshot's deletion. */
  bad: 2,
  /** A good snapshot row whose key is on another row too: ingest makes it bad. */
  duplicate: 3,
  /** A good delta row followed by a later row of the same key: ingest skips it. */
  superseded: 4,
} as const;
export type RowOp = (typeof RowOp)[keyof typeof RowOp];

/** sha256, binary. */
const HASH_BYTES = 32;
/**
 * Rows per block of each column. Columns grow a block at a time: nothing is copied as they grow, and
 * at most one block is unused (2 MiB of hashes).
 */
const BLOCK_BITS = 16;
const BLOCK_ROWS = 1 << BLOCK_BITS;
const IN_BLOCK = BLOCK_ROWS - 1;
/** V8 keeps a substring this long or longer as a view of the string it was cut from. */
const SLICED_MIN_CHARS = 13;

/** What `find` answers for a key on no row of the file. */
export const NO_ROW = -1;
/** What `find` answers for a key only on rows ingest would not apply (bad, duplicated). */
export const NOT_APPLIED = -2;

export class KeyedRows {
  length = 0;
  private readonly lines: Uint32Array[] = [];
  private readonly ops: Uint8Array[] = [];
  private readonly hashes: Buffer[] = [];
  private readonly keys: string[] = [];
  private sorted: Uint32Array | undefined;

  /** Keep a row; `hash` is the hex sha256 of a good row, null for a bad one. */
  add(line: number, key: string, op: RowOp, hash: string | null): void {
    const i = this.length;
    const b = i >>> BLOCK_BITS;
    const at = i & IN_BLOCK;
    if (at === 0) {
      this.lines.push(new Uint32Array(BLOCK_ROWS));
      this.ops.push(new Uint8Array(BLOCK_ROWS));
      this.hashes.push(Buffer.alloc(BLOCK_ROWS * HASH_BYTES));
    }
    this.lines[b]![at] = line;
    this.ops[b]![at] = op;
    if (
      hash !== null &&
      (hash.length !== HASH_BYTES * 2 || this.hashes[b]!.write(hash, at * HASH_BYTES, 'hex') !== HASH_BYTES)
    )
      throw new Error(`row at line ${line}: not a sha256 in hex: ${hash}`);
    // A long key cut from its line (a fixed-width field, say) would keep the whole line in memory:
    // keep a copy of its own instead.
    this.keys.push(key.length < SLICED_MIN_CHARS ? key : Buffer.from(key, 'utf16le').toString('utf16le'));
    this.length++;
    this.sorted = undefined;
  }

  line(i: number): number {
    return this.lines[i >>> BLOCK_BITS]![i & IN_BLOCK]!;
  }
  key(i: number): string {
    return this.keys[i]!;
  }
  op(i: number): RowOp {
    return this.ops[i >>> BLOCK_BITS]![i & IN_BLOCK] as RowOp;
  }
  /** Whether ingest would apply the row (a good row, neither duplicated nor superseded). */
  applies(i: number): boolean {
    const op = this.op(i);
    return op === RowOp.upsert || op === RowOp.delete;
  }
  /** Whether the row's hash is exactly `hex` (the hex text the store keeps in records.hash). */
  hashIs(i: number, hex: string): boolean {
    const at = (i & IN_BLOCK) * HASH_BYTES;
    return this.hashes[i >>> BLOCK_BITS]!.toString('hex', at, at + HASH_BYTES) === hex;
  }

  /** Row numbers ordered by key, then by line: the rows of one key side by side, in file order. */
  byKey(): Uint32Array {
    if (this.sorted) return this.sorted;
    const keys = this.keys;
    const order = new Uint32Array(this.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => {
      const ka = keys[a]!;
      const kb = keys[b]!;
      return ka < kb ? -1 : ka > kb ? 1 : a - b;
    });
    this.sorted = order;
    return order;
  }

  /**
   * The row ingest would apply for this key, if any: NO_ROW when no row of the file (good or bad)
   * names the key, NOT_APPLIED when only rows ingest would not apply do.
   */
  find(key: string): number {
    const order = this.byKey();
    let lo = 0;
    let hi = order.length;
    // The first row whose key is not below `key`.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[order[mid]!]! < key) lo = mid + 1;
      else hi = mid;
    }
    let found = NO_ROW;
    for (let j = lo; j < order.length && this.keys[order[j]!] === key; j++) {
      if (this.applies(order[j]!)) return order[j]!;
      found = NOT_APPLIED;
    }
    return found;
  }

  /**
   * What ingest's prepareStaging does to the staged rows: in a snapshot a key on two rows (good or
   * bad) makes its good rows bad (`duplicate`); in a delta only the last good row of a key counts
   * (the earlier ones become `superseded`). Returns how many good rows each rule took.
   */
  markRepeats(mode: 'snapshot' | 'delta'): { duplicates: number; superseded: number } {
    const order = this.byKey();
    let duplicates = 0;
    let superseded = 0;
    for (let start = 0; start < order.length;) {
      const key = this.keys[order[start]!]!;
      let end = start + 1;
      while (end < order.length && this.keys[order[end]!] === key) end++;
      if (end - start > 1) {
        let lastGoodSeen = false;
        // From the last row of the key back to the first (rows of a key are in line order).
        for (let j = end - 1; j >= start; j--) {
          const i = order[j]!;
          if (!this.applies(i)) continue;
          if (mode === 'snapshot') {
            this.setOp(i, RowOp.duplicate);
            duplicates++;
          } else if (lastGoodSeen) {
            this.setOp(i, RowOp.superseded);
            superseded++;
          } else lastGoodSeen = true;
        }
      }
      start = end;
    }
    return { duplicates, superseded };
  }

  private setOp(i: number, op: RowOp): void {
    this.ops[i >>> BLOCK_BITS]![i & IN_BLOCK] = op;
  }
}
