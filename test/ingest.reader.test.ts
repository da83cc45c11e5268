import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountsFeed, ordersDeltaFeed } from '../adapters/acme-erp/feeds.ts';
import { FileRejected } from '../src/ingest/errors.ts';
import { csvRecords, type RawRecord } from '../src/ingest/reader.ts';

type CsvFeed = Parameters<typeof csvRecords>[1];
const accounts = accountsFeed as CsvFeed;
const orders = ordersDeltaFeed as CsvFeed;

async function read(chunks: Buffer[], feed = accounts, maxLineChars = 1 << 20): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  async function* source() {
    for (const c of chunks) yield c;
  }
  for await (const batch of csvRecords(source(), feed, maxLineChars)) out.push(...batch);
  return out;
}

async function rejection(chunks: Buffer[], feed = accounts, maxLineChars = 1 << 20): Promise<FileRejected> {
  try {
    await read(chunks, feed, maxLineChars);
  } catch (err) {
    assert.ok(err instanceof FileRejected, String(err));
    return err;
  }
  assert.fail('the file was read without a rejection');
}

/** Every way of cutting `bytes` in two, and one byte at a time. */
function cuts(bytes: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let i = 1; i < bytes.length; i++) ways.push([bytes.subarray(0, i), bytes.subarray(i)]);
  ways.push([...bytes].map((b) => Buffer.from([b])));
  return ways;
}

describe('CSV reader: records, their first line, and chunk boundaries', () => {
  // windows-1252 bytes: 0xC9 is É; a quoted field holds a doubled quote, a comma and a CRLF.
  const text = [
    'ACCT_NO,ACCT_NAME,X',
    '000001,"NORTHWIND ""WHOLESALE"", LTD\r\nSECOND LINE",A',
    '000002,\xC9LAND,B',
    '000003,O"BRIEN,"C"',
    'TRAILER,3,0.00',
    '',
  ].join('\r\n');
  const bytes = Buffer.from(text, 'latin1');
  const expected: RawRecord[] = [
    { line: 1, fields: ['ACCT_NO', 'ACCT_NAME', 'X'] },
    { line: 2, fields: ['000001', 'NORTHWIND "WHOLESALE", LTD\r\nSECOND LINE', 'A'] },
    { line: 4, fields: ['000002', 'ÉLAND', 'B'] },
    { line: 5, fields: ['000003', 'O"BRIEN', 'C'] },
    { line: 6, fields: ['TRAILER', '3', '0.00'] },
  ];

  it('reads quoted fields, embedded line ends, doubled quotes and windows-1252 in one chunk', async () => {
    assert.deepEqual(await read([bytes]), expected);
  });

  it('gives the same records wherever the chunks are cut, one byte at a time included', async () => {
    for (const chunks of cuts(bytes))
      assert.deepEqual(await read(chunks), expected, `cut into ${chunks.map((c) => c.length).join('+')}`);
  });

  it('reads LF and lone-CR line ends, and a last line without one', async () => {
    const lf = Buffer.from('A,B\n"x\ny",2\n3,4', 'latin1');
    assert.deepEqual(await read([lf]), [
      { line: 1, fields: ['A', 'B'] },
      { line: 2, fields: ['x\ny', '2'] },
      { line: 4, fields: ['3', '4'] },
    ]);
    for (const one of ['A,B', 'A,B\n', 'A,B\r\n', 'A,B\r'])
      assert.deepEqual(
        await read([Buffer.from(one, 'latin1')]),
        [{ line: 1, fields: ['A', 'B'] }],
        JSON.stringify(one),
      );
    const cr = Buffer.from('A,B\r1,2\r3,4\r', 'latin1');
    assert.deepEqual(await read([cr]), [
      { line: 1, fields: ['A', 'B'] },
      { line: 2, fields: ['1', '2'] },
      { line: 3, fields: ['3', '4'] },
    ]);
  });

  it('decodes UTF-8 sequences cut between chunks', async () => {
    const utf8 = Buffer.from('OP,NAME\r\nI,Zoë Ł\r\n', 'utf8');
    for (const chunks of cuts(utf8))
      assert.deepEqual(await read(chunks, orders), [
        { line: 1, fields: ['OP', 'NAME'] },
        { line: 2, fields: ['I', 'Zoë Ł'] },
      ]);
  });

  it('refuses a quote that closes a field but is followed by text, naming its line', async () => {
    const bad = Buffer.from('A,B\r\n1,2\r\n3,"x"y\r\n5,6\r\n', 'latin1');
    for (const chunks of [[bad], ...cuts(bad)]) {
      const err = await rejection(chunks);
      assert.equal(err.code, 'malformed_csv');
      assert.equal(err.details?.line, 3);
    }
  });

  it('refuses a quoted field that is never closed', async () => {
    const err = await rejection([Buffer.from('A,B\r\n1,2\r\n3,"never closed\r\n5,6\r\n', 'latin1')]);
    assert.equal(err.code, 'unterminated_quote');
    assert.equal(err.details?.line, 3);
  });

  it('refuses a record longer than the limit, whole in one chunk or spread over many', async () => {
    const long = Buffer.from(`A,B\r\n1,2\r\n3,${'x'.repeat(500)}\r\n5,6\r\n`, 'latin1');
    for (const chunks of [[long], [long.subarray(0, 20), long.subarray(20, 300), long.subarray(300)]]) {
      const err = await rejection(chunks, accounts, 100);
      assert.equal(err.code, 'line_too_long');
      assert.equal(err.details?.line, 3);
    }
    assert.equal((await read([long], accounts, 1000)).length, 4, 'under the limit it reads');
  });
  it('reads a record spread over many chunks, and refuses one past the limit, at its line', async () => {
    const field = 'ab,c"d\r\n'.repeat(300_000);
    const text = `A,B\r\n1,"${field.replaceAll('"', '""')}"\r\n2,x\r\n`;
    const bytes = Buffer.from(text, 'latin1');
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) chunks.push(bytes.subarray(at, at + 65_536));
    assert.ok(chunks.length > 40);
    assert.deepEqual(await read(chunks, accounts, 8 << 20), [
      { line: 1, fields: ['A', 'B'] },
      { line: 2, fields: ['1', field] },
      { line: 2 + 300_000 + 1, fields: ['2', 'x'] },
    ]);
    const err = await rejection(chunks, accounts, 1 << 20);
    assert.equal(err.code, 'line_too_long');
    assert.equal(err.details?.line, 2);
  });
});
