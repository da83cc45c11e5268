/**
 * Streaming readers: file bytes → (gunzip) → byte checks → decode → CSV or fixed-width records,
 * handed out in small batches. Nothing holds more than one chunk plus one record, so memory does
 * not grow with file size; a record longer than `maxLineChars` stops the file instead of growing a
 * buffer. The sha256 of the file's own bytes is computed on the way (exactly-once key).
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { PassThrough, Transform, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import type { Feed } from '../adapter/feed.ts';
import { FileRejected } from './errors.ts';

/** One physical record of the file: its first line number and its fields (CSV) or text (fixed). */
export interface RawRecord {
  line: number;
  fields: string[];
}

export interface ReadStats {
  /** Bytes of the file as stored (compressed size for gzip feeds). */
  bytes: number;
  sha256: string;
}

const CHUNK = 1 << 18;

/** sha256 and size of a file, read once (before parsing, so duplicates cost no parse). */
export async function hashFile(file: string): Promise<ReadStats> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: h.digest('hex') };
}

const isUtf8 = (enc: string) => /^utf-?8$/i.test(enc);

/**
 * Byte-level checks before decoding: byte-order marks, NUL bytes (binary or UTF-16 data), and for
 * single-byte feeds whether the bytes are really UTF-8 (a producer switched encoding: every high
 * byte forms a valid UTF-8 sequence). For UTF-8 feeds an invalid sequence is wrong encoding.
 */
class ByteGuard {
  private first = true;
  /** Continuation bytes still expected by the UTF-8 state machine. */
  private pending = 0;
  private validMultibyte = 0;
  private invalid = 0;
  private offset = 0;
  constructor(private readonly encoding: string) {}

  /** Returns the chunk to decode (without a BOM the feed allows). */
  check(chunk: Buffer): Buffer {
    if (this.first && chunk.length > 0) {
      this.first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        if (!isUtf8(this.encoding))
          throw new FileRejected(
            'bom_encoding_mismatch',
            `file starts with a UTF-8 byte-order mark but the feed is declared ${this.encoding}`,
          );
        chunk = chunk.subarray(3);
        this.offset = 3;
      } else if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
        throw new FileRejected(
          'bom_encoding_mismatch',
          `file starts with a UTF-16 byte-order mark but the feed is declared ${this.encoding}`,
        );
      }
    }
    const nul = chunk.indexOf(0);
    if (nul >= 0)
      throw new FileRejected('binary_content', `NUL byte at offset ${this.offset + nul}: not a text file`, {
        offset: this.offset + nul,
      });
    // A single-byte feed's verdict is settled by its first byte that is not UTF-8 (the file cannot
    // be all valid UTF-8 any more), and a chunk of ASCII starting between sequences changes nothing:
    // neither needs the byte loop.
    if ((!isUtf8(this.encoding) && this.invalid > 0) || (this.pending === 0 && isAscii(chunk))) {
      this.offset += chunk.length;
      return chunk;
    }
    let pending = this.pending;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b < 0x80) {
        if (pending > 0) {
          this.invalid++;
          pending = 0;
        }
        continue;
      }
      if (pending > 0) {
        if (b >= 0x80 && b <= 0xbf) {
          if (--pending === 0) this.validMultibyte++;
          continue;
        }
        this.invalid++;
        pending = 0;
      }
      if (b >= 0xc2 && b <= 0xdf) pending = 1;
      else if (b >= 0xe0 && b <= 0xef) pending = 2;
      else if (b >= 0xf0 && b <= 0xf4) pending = 3;
      else this.invalid++;
      if (this.invalid > 0 && isUtf8(this.encoding))
        throw new FileRejected(
          'wrong_encoding',
          `invalid UTF-8 byte 0x${b.toString(16)} at offset ${this.offset + i}; the feed is declared ${this.encoding}`,
          { offset: this.offset + i },
        );
    }
    this.pending = pending;
    this.offset += chunk.length;
    return chunk;
  }

  finish(): void {
    if (this.pending > 0) this.invalid++;
    if (isUtf8(this.encoding)) {
      if (this.invalid > 0)
        throw new FileRejected(
          'wrong_encoding',
          'file ends inside a UTF-8 sequence (truncated or not UTF-8)',
        );
      return;
    }
    // A single-byte file whose every high byte is part of a valid UTF-8 sequence was written as UTF-8:
    // decoding it as declared would silently turn "é" into "Ã©".
    if (this.validMultibyte > 0 && this.invalid === 0)
      throw new FileRejected(
        'wrong_encoding',
        `file is UTF-8 (${this.validMultibyte} multi-byte sequences) but the feed is declared ${this.encoding}`,
        { utf8Sequences: this.validMultibyte },
      );
  }
}

/** Decompressed bytes of the file, with its sha256 and size computed on the way through. */
function byteStream(file: string, feed: Feed, stats: ReadStats): AsyncIterable<Buffer> {
  const h = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      stats.bytes += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      stats.sha256 = h.digest('hex');
      cb();
    },
  });
  const out = new PassThrough({ highWaterMark: CHUNK });
  const source = fs.createReadStream(file, { highWaterMark: CHUNK });
  const onDone = () => undefined;
  if (feed.compression === 'gzip') {
    const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
    pipeline(source, tap, gunzip, out, onDone);
  } else {
    pipeline(source, tap, out, onDone);
  }
  return out;
}

function gzipError(err: unknown): FileRejected | undefined {
  const code = (err as { code?: string } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_'))
    return new FileRejected('corrupt_gzip', `gzip data is corrupt: ${(err as Error).message}`, {
      zlib: code,
    });
  if ((err as Error | null)?.message === 'unexpected end of file')
    return new FileRejected('corrupt_gzip', 'gzip data ends early (truncated file)');
  return undefined;
}

/** A record (CSV) or line (fixed width) starting at `line` is over the limit: the file is refused. */
function lineTooLong(what: 'record at line' | 'line', line: number, limit: number): never {
  throw new FileRejected(
    'line_too_long',
    `${what} ${line} is longer than ${limit} characters (SEAM_INGEST_MAX_LINE_BYTES)`,
    { line, limit },
  );
}

/** Characters that stand for a byte >= 0x80 when bytes are read as latin1. */
const HIGH_BYTE = /[\x80-\xff]/;

/**
 * How the bytes of a CSV feed become text. `utf8`: decoded as they are (ByteGuard has already
 * refused any invalid sequence). `singleByte`: an encoding where every byte is one character and
 * ASCII is itself (windows-1252, latin1, ...): the text is read as latin1 (delimiters, quotes and line
 * ends are ASCII), and only the few fields holding a high byte are decoded with the feed's encoding.
 * `decode`: anything else goes through iconv's decoder for the feed's encoding.
 */
function csvByteMode(encoding: string): 'utf8' | 'singleByte' | 'decode' {
  if (isUtf8(encoding)) return 'utf8';
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  const text = iconv.decode(all, encoding);
  if (text.length !== 256) return 'decode';
  for (let i = 0; i < 128; i++) if (text.charCodeAt(i) !== i) return 'decode';
  return 'singleByte';
}

interface PapaResult {
  data: string[][];
  errors: { code: string; message: string; row?: number }[];
  meta: { cursor: number };
}

/**
 * Records of a CSV file, in batches. The text goes through Papa Parse's parser one chunk at a time
 * (`parse(text, 0, ignoreLastRow)`: the record still open at the end of a chunk is left for the
 * next, with the rest of the text), five times faster than csv-parse on the accounts feed
 * (bench/ingest.ts). Line ends are told from the first chunk (`\n`, with a `\r` before it dropped,
 * or a lone `\r`). A record, or the unfinished text carried to the next chunk, longer than
 * `maxLineChars` stops the file, so memory stays bounded by a chunk plus that limit.
 *
 * Papa Parse reads a quote inside an unquoted field (`O"BRIEN`) as part of the text, as spreadsheet
 * programs do; a quote that closes a field but is not followed by a delimiter or a line end is an
 * error, and so is a quoted field never closed.
 */
export async function* csvRecords(
  bytes: AsyncIterable<Buffer>,
  feed: Feed & { format: { kind: 'csv' } },
  maxLineChars: number,
): AsyncGenerator<RawRecord[]> {
  const mode = csvByteMode(feed.encoding);
  const guard = new ByteGuard(feed.encoding);
  const decoder = mode === 'utf8' ? new StringDecoder('utf8') : iconv.getDecoder(feed.encoding);
  const encoding = feed.encoding;
  let parser: Papa.Parser | undefined;
  let lineEnd: '\n' | '\r' = '\n';
  let carry = '';
  let nextLine = 1;
  let batch: RawRecord[] = [];
  const tooLong = (): never => lineTooLong('record at line', nextLine, maxLineChars);
  const push = (fields: string[]) => {
    const last = fields.length - 1;
    if (lineEnd === '\n' && fields[last]!.endsWith('\r')) fields[last] = fields[last]!.slice(0, -1);
    let nl = 1;
    let chars = last;
    for (let i = 0; i <= last; i++) {
      const f = fields[i]!;
      chars += f.length;
      let at = f.indexOf('\n');
      while (at >= 0) {
        nl++;
        at = f.indexOf('\n', at + 1);
      }
      if (mode === 'singleByte' && HIGH_BYTE.test(f))
        fields[i] = iconv.decode(Buffer.from(f, 'latin1'), encoding);
    }
    if (chars > maxLineChars) tooLong();
    batch.push({ line: nextLine, fields });
    nextLine += nl;
  };
  const parse = (text: string, end: boolean) => {
    if (!parser) {
      // The first line end says which: `\n`, `\r\n` (read as `\n`, the `\r` dropped) or a lone `\r`;
      // until one is seen whole, the text waits for more.
      const at = text.search(/[\r\n]/);
      if (!end && (at < 0 || (text[at] === '\r' && at === text.length - 1))) {
        carry = text;
        if (carry.length > maxLineChars) tooLong();
        return;
      }
      lineEnd = at >= 0 && text[at] === '\r' && text[at + 1] !== '\n' ? '\r' : '\n';
      parser = new Papa.Parser({
        delimiter: feed.format.delimiter,
        quoteChar: feed.format.quote,
        newline: lineEnd,
      });
    }
    const r = parser.parse(text, 0, !end) as PapaResult;
    // At the end Papa Parse gives the empty text after a final line end as a record of its own.
    const lastRow = r.data[r.data.length - 1];
    if (end && text.endsWith(lineEnd) && lastRow?.length === 1 && lastRow[0] === '') r.data.pop();
    // An error in the record left open at the end of a chunk (say a closing quote whose `\r\n` is in
    // the next chunk) is not one yet: that record is parsed again with the rest of its text.
    const failed = r.errors.find((e) => end || (e.row ?? 0) < r.data.length);
    const rows = failed ? Math.min(failed.row ?? 0, r.data.length) : r.data.length;
    for (let i = 0; i < rows; i++) push(r.data[i]!);
    if (failed) {
      if (failed.code === 'MissingQuotes')
        throw new FileRejected(
          'unterminated_quote',
          `a quoted field opened near line ${nextLine} is never closed`,
          { line: nextLine },
        );
      throw new FileRejected('malformed_csv', `CSV syntax error near line ${nextLine}: ${failed.message}`, {
        line: nextLine,
        csv: failed.code,
      });
    }
    carry = end ? '' : text.slice(r.meta.cursor);
    if (carry.length > maxLineChars) tooLong();
  };
  // Each parse reads the open record again from its start, so while that record is longer than the
  // text that has come since, more is gathered first: a record spanning many chunks is read a few
  // times, not once per chunk. What is held stays within the record limit plus a chunk.
  let waiting = '';
  try {
    for await (const chunk of bytes) {
      const checked = guard.check(chunk);
      waiting += mode === 'singleByte' ? checked.toString('latin1') : decoder.write(checked);
      if (waiting.length === 0) continue;
      if (waiting.length < carry.length && carry.length + waiting.length <= maxLineChars) continue;
      const text = carry + waiting;
      waiting = '';
      parse(text, false);
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    throw gzipError(err) ?? err;
  }
  guard.finish();
  const rest = carry + waiting + (mode === 'singleByte' ? '' : (decoder.end() ?? ''));
  // Complete records first; the last one only if it has no line end (a final line end is not a record).
  if (rest !== '') parse(rest, false);
  if (carry !== '') parse(carry, true);
  if (batch.length > 0) yield batch;
}

/** Lines of a fixed-width file, in batches; each record is one field, the whole line. */
async function* lineRecords(
  bytes: AsyncIterable<Buffer>,
  feed: Feed,
  maxLineChars: number,
): AsyncGenerator<RawRecord[]> {
  const guard = new ByteGuard(feed.encoding);
  const decoder = iconv.getDecoder(feed.encoding);
  let carry = '';
  let line = 0;
  let batch: RawRecord[] = [];
  const take = (text: string) => {
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl >= 0) {
      let l = carry + text.slice(start, nl);
      carry = '';
      if (l.endsWith('\r')) l = l.slice(0, -1);
      line++;
      if (l.length > maxLineChars) tooLong(line + 1);
      batch.push({ line, fields: [l] });
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    carry += text.slice(start);
    if (carry.length > maxLineChars) tooLong(line + 1);
  };
  const tooLong = (at: number): never => lineTooLong('line', at, maxLineChars);
  try {
    for await (const chunk of bytes) {
      take(decoder.write(guard.check(chunk)));
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    throw gzipError(err) ?? err;
  }
  guard.finish();
  take(decoder.end() ?? '');
  if (carry.length > 0) {
    line++;
    batch.push({ line, fields: [carry.endsWith('\r') ? carry.slice(0, -1) : carry] });
    carry = '';
  }
  if (batch.length > 0) yield batch;
}

/** Read a feed file as batches of raw records; `stats` is filled in as the bytes flow. */
export function readRecords(
  file: string,
  feed: Feed,
  opts: { maxLineChars: number },
  stats: ReadStats,
): AsyncGenerator<RawRecord[]> {
  const bytes = byteStream(file, feed, stats);
  return feed.format.kind === 'csv'
    ? csvRecords(bytes, feed as Feed & { format: { kind: 'csv' } }, opts.maxLineChars)
    : lineRecords(bytes, feed, opts.maxLineChars);
}
