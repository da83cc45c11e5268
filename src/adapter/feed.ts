/**
 * The batch half of the adapter contract (owned by the ingest area): how a feed's files are
 * recognised, when they are ready, how they are read and checked, and how each row becomes a record
 * of a resource. An adapter declares its feeds with `defineFeed`; `src/ingest/` reads, validates,
 * diffs and applies them without knowing the system. docs/ingest.md explains it for operators.
 *
 * Glossary: a *feed* is a kind of file the legacy system drops (e.g. a nightly accounts snapshot); a
 * *drop* is one file of it; *control records* are the header and trailer lines the producer writes
 * so a consumer can tell a complete file from a truncated one (counts and totals).
 */
import iconv from 'iconv-lite';
import { z } from 'zod';

/** One fixed-width field: `[name, width]`. Fields follow each other from column 1. */
const FixedField = z.tuple([z.string().min(1), z.number().int().positive()]);

const FixedRecord = z.object({
  /** The record-type code at the start of the line (e.g. `D`). */
  code: z.string().min(1),
  /** Layout after the code, e.g. `[['sku', 12], ['description', 30]]`. */
  fields: z.array(FixedField).min(1),
});

const CsvFormat = z.object({
  kind: z.literal('csv'),
  delimiter: z.string().length(1).default(','),
  quote: z.string().length(1).default('"'),
  /** Column names, in order. With `headerRow`, the file's first row must name exactly these. */
  columns: z.array(z.string().min(1)).min(1),
  headerRow: z.boolean().default(true),
  /**
   * The trailer is a row whose first field is this marker, e.g. `TRAILER`; the following fields are
   * named by `trailerFields` (e.g. `['count', 'total']` for `TRAILER,<count>,<total>`).
   */
  trailerMarker: z.string().min(1).optional(),
  trailerFields: z.array(z.string().min(1)).default([]),
});

const FixedWidthFormat = z.object({
  kind: z.literal('fixed'),
  /** Width of the record-type code that starts every line. */
  codeWidth: z.number().int().positive().default(1),
  header: FixedRecord.optional(),
  detail: FixedRecord,
  trailer: FixedRecord.optional(),
  /** Details shorter or longer than the layout are bad rows; set false to accept short lines. */
  exactLength: z.boolean().default(true),
});

const Control = z.object({
  /** A trailer must be present (a file without one is truncated and rejected whole). */
  trailerRequired: z.boolean().default(true),
  /** Trailer field holding the number of detail rows in the file. */
  count: z.string().min(1).optional(),
  /** Trailer fields holding a total of a detail column, compared exactly as decimals. */
  sums: z.array(z.object({ field: z.string().min(1), of: z.string().min(1) })).default([]),
  /** Header field holding the business date (YYYYMMDD); must equal the date in the file name. */
  headerBusinessDate: z.string().min(1).optional(),
});

const Mode = z.discriminatedUnion('kind', [
  /** Every live record of the resource is in the file; keys missing from it were deleted. */
  z.object({ kind: z.literal('snapshot') }),
  /** Each row says what happened to one record. */
  z.object({
    kind: z.literal('delta'),
    /** Raw column holding the operation. */
    operationColumn: z.string().min(1),
    /** Raw codes meaning each operation, e.g. `{ insert: ['I'], update: ['U'], delete: ['D'] }`. */
    operations: z.object({
      insert: z.array(z.string()).min(1),
      update: z.array(z.string()).min(1),
      delete: z.array(z.string()).min(1),
    }),
  }),
]);

const Readiness = z.discriminatedUnion('kind', [
  /** Ready once `<file><suffix>` exists (the producer writes it after closing the file). */
  z.object({ kind: z.literal('doneFile'), suffix: z.string().min(1).default('.ok') }),
  /** Ready once size and modification time have not changed for `ms` (default SEAM_INGEST_STABLE_MS). */
  z.object({ kind: z.literal('stableSize'), ms: z.number().int().positive().optional() }),
]);

const zodSchema = z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'must be a zod schema');

export const FeedDefinitionSchema = z.object({
  /** Stable name, upper-case by habit (e.g. `ACCOUNTS`); used in events, the ledger and URLs. */
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/),
  description: z.string().default(''),
  /** Whole-name pattern with a named group `date` holding the business date. */
  pattern: z
    .instanceof(RegExp)
    .refine((r) => r.source.startsWith('^') && r.source.endsWith('$'), 'must be anchored (^...$)')
    .refine((r) => r.source.includes('(?<date>'), 'must capture the business date as (?<date>...)'),
  /** How the date group is written. */
  dateFormat: z.enum(['YYYYMMDD', 'YYYYMMDDHHMM']).default('YYYYMMDD'),
  compression: z.enum(['none', 'gzip']).default('none'),
  /** iconv-lite encoding name, e.g. `windows-1252`, `utf-8`. */
  encoding: z.string().refine((e) => iconv.encodingExists(e), 'unknown encoding'),
  format: z.discriminatedUnion('kind', [CsvFormat, FixedWidthFormat]),
  control: Control.default({ trailerRequired: true, sums: [] }),
  mode: Mode,
  readiness: Readiness,
  /** The resource the feed keeps current, and its singular entity name (event types). */
  target: z.object({ resource: z.string().min(1), entity: z.string().min(1) }),
  /** Field of the mapped record that is its key. */
  key: z.string().min(1),
  /**
   * Row schema over the raw fields (`Record<column, string>`, already trimmed of nothing): it
   * validates and transforms one row into the resource's record (decimals as strings, ISO dates,
   * padding trimmed, codes mapped).
   */
  row: zodSchema,
  /**
   * Read the (normalised) key straight from the raw fields, for rows that fail validation: a bad
   * row's record is then left as it is instead of being deleted by the snapshot. Without it, a
   * snapshot with a bad row holds back all its deletions.
   */
  keyOf: z
    .custom<(raw: Record<string, string>) => string | undefined>((f) => typeof f === 'function')
    .optional(),
  /** The resource's record schema; every mapped record is checked against it as well. */
  record: zodSchema.optional(),
  badRows: z
    .object({
      /**
       * Bad rows are quarantined while their share of the file stays at or under this; above it the
       * whole file is rejected. 0 rejects a file with any bad row. Default SEAM_INGEST_MAX_BAD_SHARE.
       */
      maxShare: z.number().min(0).max(1).optional(),
    })
    .default({}),
  /** A snapshot with no rows would delete everything; refused unless this says it can happen. */
  allowEmpty: z.boolean().default(false),
  /**
   * Refuse a snapshot that would delete more than this share of the live records (a half-written
   * extract from the legacy side looks exactly like mass deletion). Unset: no limit.
   */
  maxDeleteShare: z.number().min(0).max(1).optional(),
});

/** What an adapter writes. */
export type FeedDefinition = z.input<typeof FeedDefinitionSchema>;
/** A feed with its defaults filled in, as src/ingest uses it. */
export type Feed = z.output<typeof FeedDefinitionSchema>;

/** Check a feed declaration at load time; a mistake names the feed and the field. */
export function defineFeed(def: FeedDefinition): Feed {
  const r = FeedDefinitionSchema.safeParse(def);
  if (!r.success) {
    const where = typeof def.name === 'string' ? def.name : '(unnamed)';
    throw new Error(
      `Feed ${where} is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const feed = r.data;
  if (feed.mode.kind === 'delta' && feed.format.kind === 'csv') {
    if (!feed.format.columns.includes(feed.mode.operationColumn))
      throw new Error(`Feed ${feed.name}: operation column ${feed.mode.operationColumn} is not a column`);
  }
  return feed;
}
