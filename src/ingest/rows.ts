/**
 * From raw records to staged rows: tell header, details and trailer apart, check the control
 * records (counts and totals), validate each detail with the feed's zod schemas, and hand good rows
 * (canonical JSON + hash) and bad rows (line, field, reason) to the stager.
 */
import { hash } from 'node:crypto';
import type { Feed } from '../adapter/feed.ts';
import { canonicalJson } from '../records/repo.ts';
import { formatDecimal, parseDecimal } from './decimal.ts';
import { FileRejected, type RowReasonCode } from './errors.ts';
import type { RawRecord } from './reader.ts';

export type StageStatus = 'ok' | 'bad';
/** `U`: the row's record should exist with this content (snapshot rows, inserts, updates). `D`: delete. */
export type StageOp = 'U' | 'D';

export interface StageRow {
  line: number;
  key: string | null;
  status: StageStatus;
  op: StageOp;
  hash: string | null;
  /** Canonical JSON of the record (sha256 of exactly this text is `hash`). */
  data: string | null;
  field: string | null;
  reasonCode: RowReasonCode | null;
  reason: string | null;
  raw: string | null;
}

export interface StageSink {
  add(row: StageRow): void | Promise<void>;
}

export interface RowCounts {
  total: number;
  valid: number;
  bad: number;
  /** Bad rows whose key could not be read: in a snapshot they hold back every deletion. */
  badWithoutKey: number;
}

const RAW_LIMIT = 1024;

/** Characters JSON.stringify escapes in a string (quote, backslash, controls, lone surrogates). */
// eslint-disable-next-line no-control-regex
const JSON_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function rawText(fields: string[], delimiter: string): string {
  const s = fields.join(delimiter);
  return s.length > RAW_LIMIT ? s.slice(0, RAW_LIMIT) + '…' : s;
}

interface Sliced {
  code: string;
  values: Record<string, string>;
  lengthOk: boolean;
}

type FixedLayout = Feed['format'] & { kind: 'fixed' };

function makeSlicer(format: FixedLayout) {
  const layouts = new Map<string, { fields: [string, number][]; length: number }>();
  for (const r of [format.header, format.detail, format.trailer]) {
    if (!r) continue;
    layouts.set(r.code, {
      fields: r.fields,
      length: format.codeWidth + r.fields.reduce((a, [, w]) => a + w, 0),
    });
  }
  return (line: string): Sliced | undefined => {
    const code = line.slice(0, format.codeWidth).trim();
    const layout = layouts.get(code);
    if (!layout) return undefined;
    const values: Record<string, string> = {};
    let at = format.codeWidth;
    for (const [name, width] of layout.fields) {
      values[name] = line.slice(at, at + width);
      at += width;
    }
    return { code, values, lengthOk: line.length === layout.length };
  };
}

/**
 * Feeds raw records through classification and validation. `consume` for every batch, then
 * `finish` checks the control records (throws FileRejected when they do not hold).
 */
export class RowProcessor {
  readonly counts: RowCounts = { total: 0, valid: 0, bad: 0, badWithoutKey: 0 };
  private headerSeen = false;
  private trailer: Record<string, string> | undefined;
  private trailerLine = 0;
  private readonly sums = new Map<string, { of: string; total: bigint; unparsed: number }>();
  /** First lines whose amounts could not be read (named in a sum mismatch). */
  private readonly unreadable: number[] = [];
  private readonly slice: ((line: string) => Sliced | undefined) | undefined;
  private readonly opCodes = new Map<string, 'U' | 'D'>();

  constructor(
    private readonly feed: Feed,
    private readonly businessDate: string,
    private readonly sink: StageSink,
  ) {
    for (const s of feed.control.sums) this.sums.set(s.field, { of: s.of, total: 0n, unparsed: 0 });
    if (feed.format.kind === 'fixed') this.slice = makeSlicer(feed.format);
    if (feed.mode.kind === 'delta') {
      for (const c of feed.mode.operations.insert) this.opCodes.set(c, 'U');
      for (const c of feed.mode.operations.update) this.opCodes.set(c, 'U');
      for (const c of feed.mode.operations.delete) this.opCodes.set(c, 'D');
    }
  }

  /**
   * Classify and validate a batch. Synchronous per row (no await per record); a sink that pushes
   * back (its `add` returns a promise) is awaited once, at the end of the batch.
   */
  async consume(batch: RawRecord[]): Promise<void> {
    const csv = this.feed.format.kind === 'csv';
    for (let i = 0; i < batch.length; i++) {
      if (csv) this.csvRecord(batch[i]!);
      else this.fixedRecord(batch[i]!);
    }
    if (this.waits.length > 0) {
      const w = this.waits;
      this.waits = [];
      await Promise.all(w);
    }
  }

  private waits: Promise<void>[] = [];
  private emit(row: StageRow): void {
    const p = this.sink.add(row);
    if (p) this.waits.push(p);
  }

  private csvRecord(rec: RawRecord): void {
    const format = this.feed.format as Feed['format'] & { kind: 'csv' };
    if (format.headerRow && !this.headerSeen) {
      this.headerSeen = true;
      const got = rec.fields.map((f) => f.trim());
      if (got.join('\u0000') !== format.columns.join('\u0000'))
        throw new FileRejected(
          'header_mismatch',
          `header row does not name the expected columns (expected ${format.columns.join(',')}; got ${got.join(',').slice(0, 300)})`,
          { expected: format.columns, got: got.slice(0, 50) },
        );
      return;
    }
    if (format.trailerMarker !== undefined && rec.fields[0] === format.trailerMarker) {
      this.takeTrailer(
        rec.line,
        Object.fromEntries(format.trailerFields.map((n, i) => [n, rec.fields[i + 1] ?? ''])),
      );
      if (rec.fields.length !== format.trailerFields.length + 1)
        throw new FileRejected(
          'trailer_malformed',
          `trailer at line ${rec.line} has ${rec.fields.length} fields`,
          {
            line: rec.line,
          },
        );
      return;
    }
    this.beforeDetail(rec.line);
    if (rec.fields.length !== format.columns.length) {
      this.counts.total++;
      this.unsummed(rec.line);
      this.bad(
        rec,
        null,
        'field_count',
        null,
        `expected ${format.columns.length} fields, got ${rec.fields.length}`,
      );
      return;
    }
    const values: Record<string, string> = {};
    for (let i = 0; i < format.columns.length; i++) values[format.columns[i]!] = rec.fields[i]!;
    this.detail(rec, values);
  }

  private fixedRecord(rec: RawRecord): void {
    const format = this.feed.format as FixedLayout;
    const line = rec.fields[0]!;
    const s = this.slice!(line);
    if (!s) {
      if (line.trim() === '' && this.trailer) return; // blank line after the trailer: padding
      this.beforeDetail(rec.line);
      this.counts.total++;
      this.unsummed(rec.line);
      this.bad(
        rec,
        null,
        'unknown_record_type',
        null,
        `unknown record type ${JSON.stringify(line.slice(0, format.codeWidth))}`,
      );
      return;
    }
    if (format.header && s.code === format.header.code) {
      if (this.headerSeen || this.counts.total > 0)
        throw new FileRejected(
          'header_mismatch',
          `header record at line ${rec.line} is not the first record`,
        );
      this.headerSeen = true;
      this.checkHeader(s.values, rec.line);
      return;
    }
    if (format.trailer && s.code === format.trailer.code) {
      this.takeTrailer(rec.line, s.values);
      return;
    }
    this.beforeDetail(rec.line);
    if (!s.lengthOk && format.exactLength) {
      this.counts.total++;
      this.unsummed(rec.line);
      const expected = format.codeWidth + format.detail.fields.reduce((a, [, w]) => a + w, 0);
      this.bad(
        rec,
        null,
        'record_length',
        null,
        `record is ${line.length} characters, layout says ${expected}`,
      );
      return;
    }
    this.detail(rec, s.values);
  }

  private checkHeader(values: Record<string, string>, line: number): void {
    const field = this.feed.control.headerBusinessDate;
    if (!field) return;
    const got = (values[field] ?? '').trim();
    const want = this.businessDate.replaceAll('-', '');
    if (got !== want)
      throw new FileRejected(
        'header_date_mismatch',
        `header business date ${got || '(empty)'} does not match the file name's ${want}`,
        { line, header: got, name: want },
      );
  }

  private beforeDetail(line: number): void {
    if (this.trailer)
      throw new FileRejected(
        'data_after_trailer',
        `record at line ${line} comes after the trailer (line ${this.trailerLine})`,
        {
          line,
          trailerLine: this.trailerLine,
        },
      );
    if (this.feed.format.kind === 'fixed' && this.feed.format.header && !this.headerSeen)
      throw new FileRejected('header_missing', `line ${line} comes before any header record`, { line });
  }

  private takeTrailer(line: number, values: Record<string, string>): void {
    if (this.trailer)
      throw new FileRejected(
        'data_after_trailer',
        `second trailer at line ${line} (first at ${this.trailerLine})`,
        { line },
      );
    if (this.feed.format.kind === 'fixed' && this.feed.format.header && !this.headerSeen)
      throw new FileRejected('header_missing', 'trailer found but no header record');
    this.trailer = values;
    this.trailerLine = line;
  }

  private detail(rec: RawRecord, values: Record<string, string>): void {
    this.counts.total++;
    for (const s of this.sums.values()) {
      const v = parseDecimal(values[s.of] ?? '');
      if (v === undefined) {
        s.unparsed++;
        if (this.unreadable.length < 10) this.unreadable.push(rec.line);
      } else s.total += v;
    }
    let op: StageOp = 'U';
    if (this.feed.mode.kind === 'delta') {
      const code = (values[this.feed.mode.operationColumn] ?? '').trim();
      const mapped = this.opCodes.get(code);
      if (!mapped) {
        this.bad(
          rec,
          null,
          'unknown_operation',
          this.feed.mode.operationColumn,
          `unknown operation ${JSON.stringify(code)}`,
        );
        return;
      }
      op = mapped;
    }
    const parsed = this.feed.row.safeParse(values);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      this.bad(rec, this.guessKey(values), 'invalid_field', String(issue.path[0] ?? ''), issue.message);
      return;
    }
    let record = parsed.data as Record<string, unknown>;
    if (this.feed.record) {
      const checked = this.feed.record.safeParse(record);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        const key = record[this.feed.key];
        this.bad(
          rec,
          typeof key === 'string' ? key : null,
          'invalid_record',
          issue.path.join('.'),
          `mapped record fails the resource schema: ${issue.message}`,
        );
        return;
      }
      record = checked.data as Record<string, unknown>;
    }
    const key = record[this.feed.key];
    if (typeof key !== 'string' || key === '') {
      this.bad(rec, null, 'invalid_record', this.feed.key, 'mapped record has no key');
      return;
    }
    const data = this.json(record);
    this.counts.valid++;
    this.emit({
      line: rec.line,
      key,
      status: 'ok',
      op,
      hash: hash('sha256', data, 'hex'),
      data,
      field: null,
      reasonCode: null,
      reason: null,
      raw: null,
    });
  }

  /** Key order of the last record seen, and the same keys sorted (records of one feed share a shape). */
  private shapeKeys: string[] = [];
  private shapeSorted: { key: string; prefix: string }[] = [];

  /**
   * canonicalJson (src/records/repo.ts), fast for flat records: the sorted key order is worked out
   * once per shape, and a string needing no escapes is quoted as it is. A record with nested objects
   * or arrays goes through canonicalJson itself; the text is the same either way.
   */
  private json(record: Record<string, unknown>): string {
    const keys = Object.keys(record);
    let same = keys.length === this.shapeKeys.length;
    for (let i = 0; same && i < keys.length; i++) same = keys[i] === this.shapeKeys[i];
    if (!same) {
      this.shapeKeys = keys;
      this.shapeSorted = [...keys].sort().map((key) => ({ key, prefix: JSON.stringify(key) + ':' }));
    }
    let out = '';
    for (const { key, prefix } of this.shapeSorted) {
      const v = record[key];
      if (v === undefined) continue;
      let text: string;
      if (typeof v === 'string') text = JSON_ESCAPE.test(v) ? JSON.stringify(v) : '"' + v + '"';
      else if (v === null || typeof v !== 'object') text = JSON.stringify(v);
      else return canonicalJson(record);
      out += (out === '' ? '{' : ',') + prefix + text;
    }
    return out === '' ? '{}' : out + '}';
  }

  /** The key of a bad row, when the feed can read it (so a snapshot does not delete that record). */
  private guessKey(values: Record<string, string>): string | null {
    try {
      return this.feed.keyOf?.(values) || null;
    } catch {
      return null;
    }
  }

  private bad(
    rec: RawRecord,
    key: string | null,
    code: RowReasonCode,
    field: string | null,
    reason: string,
  ): void {
    this.counts.bad++;
    if (key === null) this.counts.badWithoutKey++;
    this.emit({
      line: rec.line,
      key,
      status: 'bad',
      op: 'U',
      hash: null,
      data: null,
      field,
      reasonCode: code,
      reason,
      raw: rawText(rec.fields, this.feed.format.kind === 'csv' ? this.feed.format.delimiter : ''),
    });
  }

  /** A detail whose fields could not be split cannot be summed: the totals become unreconcilable. */
  private unsummed(line: number): void {
    for (const s of this.sums.values()) s.unparsed++;
    if (this.sums.size > 0 && this.unreadable.length < 10) this.unreadable.push(line);
  }

  /** Check the control records once every record has been read. */
  finish(): void {
    const c = this.feed.control;
    if (this.feed.format.kind === 'csv' && this.feed.format.headerRow && !this.headerSeen)
      throw new FileRejected('empty_file', 'file has no header row');
    if (!this.trailer) {
      if (c.trailerRequired)
        throw new FileRejected('trailer_missing', 'no trailer record: the file is truncated or incomplete');
      return;
    }
    if (c.count) {
      const raw = (this.trailer[c.count] ?? '').trim();
      if (!/^\d+$/.test(raw))
        throw new FileRejected('trailer_malformed', `trailer count ${JSON.stringify(raw)} is not a number`, {
          line: this.trailerLine,
        });
      if (Number(raw) !== this.counts.total)
        throw new FileRejected(
          'trailer_count_mismatch',
          `trailer says ${Number(raw)} records, the file has ${this.counts.total}`,
          { trailer: Number(raw), counted: this.counts.total },
        );
    }
    for (const [field, s] of this.sums) {
      const raw = (this.trailer[field] ?? '').trim();
      const want = parseDecimal(raw);
      if (want === undefined)
        throw new FileRejected('trailer_malformed', `trailer total ${JSON.stringify(raw)} is not a decimal`, {
          line: this.trailerLine,
        });
      if (want !== s.total || s.unparsed > 0)
        throw new FileRejected(
          'trailer_sum_mismatch',
          `trailer total of ${s.of} is ${formatDecimal(want)}, the rows sum to ${formatDecimal(s.total)}` +
            (s.unparsed > 0
              ? `; ${s.unparsed} rows have no readable ${s.of} (lines ${this.unreadable.join(', ')}), so the totals cannot reconcile`
              : ''),
          {
            field: s.of,
            trailer: formatDecimal(want),
            counted: formatDecimal(s.total),
            unreadableRows: s.unparsed,
            unreadableLines: this.unreadable,
          },
        );
    }
  }
}
