/**
 * The reading half of `seam feed check` (./check.ts): the file goes through ingest's own reader and
 * RowProcessor, with an in-memory sink in place of the staging table, and a tap that notes the
 * control records and operation codes for the report (validation stays the processor's).
 */
import type { Feed } from '../adapter/feed.ts';
import { KeyedRows, RowOp } from './check-rows.ts';
import { formatDecimal, parseDecimal } from './decimal.ts';
import { FileRejected, type RowReasonCode } from './errors.ts';
import { readRecords, type RawRecord, type ReadStats } from './reader.ts';
import { RowProcessor, type StageRow, type StageSink } from './rows.ts';

export interface BadRow {
  line: number;
  key: string | null;
  code: RowReasonCode;
  field: string | null;
  reason: string;
}

/** One control check: `ok` null when ingest would not get as far as checking it. */
export interface ControlCheck {
  check: 'count' | 'sum' | 'header_date';
  field: string;
  /** What the control record says. */
  declared: string | null;
  /** What the file holds (rows counted, amounts summed, the name's business date). */
  actual: string | null;
  ok: boolean | null;
}

/** Stands in for the staging table: keeps what the report and the diff need, not the rows' data. */
export class MemorySink implements StageSink {
  /** Every row that names its key: the good ones, and the bad ones (they count as the key's rows). */
  readonly rows = new KeyedRows();
  /** The first bad rows, up to the limit. */
  readonly bad: BadRow[] = [];
  readonly sample: Record<string, unknown>[] = [];
  readonly ops = { insert: 0, update: 0, delete: 0 };
  /** Operation codes of the batch being processed, by line (delta feeds). */
  opsByLine = new Map<number, 'insert' | 'update' | 'delete'>();
  constructor(
    private readonly limit: number,
    private readonly sampleSize: number,
  ) {}

  add(row: StageRow): void {
    if (row.status === 'bad') {
      if (row.key !== null) this.rows.add(row.line, row.key, RowOp.bad, null);
      if (this.bad.length < this.limit)
        this.bad.push({
          line: row.line,
          key: row.key,
          code: row.reasonCode!,
          field: row.field,
          reason: row.reason ?? '',
        });
      return;
    }
    this.rows.add(row.line, row.key!, row.op === 'D' ? RowOp.delete : RowOp.upsert, row.hash!);
    const op = this.opsByLine.get(row.line);
    if (op) this.ops[op]++;
    if (this.sample.length < this.sampleSize)
      this.sample.push(JSON.parse(row.data!) as Record<string, unknown>);
  }
}

type FixedLayout = Feed['format'] & { kind: 'fixed' };

function sliceFixed(line: string, format: FixedLayout, code: string): Record<string, string> | undefined {
  const layout = [format.header, format.detail, format.trailer].find((r) => r?.code === code);
  if (!layout) return undefined;
  const out: Record<string, string> = {};
  let at = format.codeWidth;
  for (const [name, width] of layout.fields) {
    out[name] = line.slice(at, at + width).trim();
    at += width;
  }
  return out;
}

/**
 * Watches raw records on their way to the row processor, for the report only: the header and
 * trailer values, and each detail's operation code. Validation stays the processor's.
 */
export class ControlTap {
  header: Record<string, string> | null = null;
  trailer: Record<string, string> | null = null;
  trailerLine: number | null = null;
  private first = true;
  private readonly opCodes = new Map<string, 'insert' | 'update' | 'delete'>();
  constructor(private readonly feed: Feed) {
    if (feed.mode.kind === 'delta')
      for (const kind of ['insert', 'update', 'delete'] as const)
        for (const c of feed.mode.operations[kind]) this.opCodes.set(c, kind);
  }

  /** Operation of each detail line of the batch (delta feeds). */
  see(batch: RawRecord[]): Map<number, 'insert' | 'update' | 'delete'> {
    const ops = new Map<number, 'insert' | 'update' | 'delete'>();
    const f = this.feed.format;
    for (const rec of batch) {
      let values: Record<string, string> | undefined;
      if (f.kind === 'csv') {
        const isHeader = this.first && f.headerRow;
        this.first = false;
        if (isHeader) continue;
        if (f.trailerMarker !== undefined && rec.fields[0] === f.trailerMarker) {
          this.takeTrailer(
            rec.line,
            Object.fromEntries(f.trailerFields.map((n, i) => [n, rec.fields[i + 1] ?? ''])),
          );
          continue;
        }
        // Only a delta's details are looked at here, for their operation.
        if (this.feed.mode.kind !== 'delta') continue;
        values = Object.fromEntries(f.columns.map((c, i) => [c, rec.fields[i] ?? '']));
      } else {
        const line = rec.fields[0] ?? '';
        const code = line.slice(0, f.codeWidth).trim();
        if (f.header && code === f.header.code) {
          this.header ??= sliceFixed(line, f, code) ?? null;
          continue;
        }
        if (f.trailer && code === f.trailer.code) {
          this.takeTrailer(rec.line, sliceFixed(line, f, code) ?? {});
          continue;
        }
        if (this.feed.mode.kind !== 'delta') continue;
        values = sliceFixed(line, f, code);
      }
      if (values && this.feed.mode.kind === 'delta') {
        const op = this.opCodes.get((values[this.feed.mode.operationColumn] ?? '').trim());
        if (op) ops.set(rec.line, op);
      }
    }
    return ops;
  }

  private takeTrailer(line: number, values: Record<string, string>): void {
    if (this.trailer) return;
    this.trailer = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.trim()]));
    this.trailerLine = line;
  }
}

/** The control checks in the order RowProcessor.finish makes them, given how it ended. */
export function controlChecks(
  feed: Feed,
  trailer: Record<string, string> | null,
  counted: number,
  finished: FileRejected | 'passed' | 'not_reached',
): ControlCheck[] {
  const c = feed.control;
  const checks: ControlCheck[] = [];
  const failed = finished instanceof FileRejected ? finished : undefined;
  // Before the first failure every check passed; after it none was made.
  let stillPassing =
    finished === 'passed' ||
    (failed !== undefined && failed.code.startsWith('trailer_') && failed.code !== 'trailer_missing');
  if (c.count) {
    const declared = trailer?.[c.count] ?? null;
    let ok: boolean | null = stillPassing ? true : null;
    if (
      failed?.code === 'trailer_count_mismatch' ||
      (failed?.code === 'trailer_malformed' && !/^\d+$/.test(declared ?? ''))
    ) {
      ok = false;
      stillPassing = false;
    }
    checks.push({ check: 'count', field: c.count, declared, actual: String(counted), ok });
  }
  for (const s of c.sums) {
    const declared = trailer?.[s.field] ?? null;
    let ok: boolean | null = stillPassing ? true : null;
    let actual: string | null = null;
    if (ok) {
      const failedHere =
        (failed?.code === 'trailer_sum_mismatch' && failed.details.field === s.of) ||
        (failed?.code === 'trailer_malformed' && parseDecimal(declared ?? '') === undefined);
      if (failedHere) {
        ok = false;
        stillPassing = false;
        actual = typeof failed?.details.counted === 'string' ? failed.details.counted : null;
      } else actual = formatDecimal(parseDecimal(declared ?? '') ?? 0n);
    }
    checks.push({ check: 'sum', field: `${s.field} (sum of ${s.of})`, declared, actual, ok });
  }
  return checks;
}

export async function readAll(
  file: string,
  feed: Feed,
  businessDate: string,
  sink: StageSink,
  tap: ControlTap | undefined,
  maxLineChars: number,
): Promise<{ processor: RowProcessor; stopped?: FileRejected }> {
  const processor = new RowProcessor(feed, businessDate, sink);
  const stats: ReadStats = { bytes: 0, sha256: '' };
  try {
    for await (const batch of readRecords(file, feed, { maxLineChars }, stats)) {
      if (tap && sink instanceof MemorySink) sink.opsByLine = tap.see(batch);
      await processor.consume(batch);
    }
  } catch (err) {
    if (err instanceof FileRejected) return { processor, stopped: err };
    throw err;
  }
  return { processor };
}
