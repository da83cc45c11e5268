/**
 * `seam adapter init` as operators run it (a real child process), reading a WSDL from a file or
 * over real HTTP, and its exact messages for WSDLs it cannot read.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initAdapter, WsdlError } from '../src/adapter/init/generate.ts';
import { main } from '../src/cli/index.ts';
import { CORPUS, scratch } from './helpers/adapter-init.ts';
import { runSeam } from './helpers/process.ts';

let work: Awaited<ReturnType<typeof scratch>>;

/**
 * The same CLI entry in this process (a child process costs seconds of start-up on a busy
 * machine; a few tests below still spawn the real `seam` to check exit codes end to end).
 */
async function seamHere(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'seam', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.exitCode = before;
  }
}
let files: http.Server;
let base: string;

before(async () => {
  work = await scratch();
  // The imported-schema corpus over real HTTP, as a WSDL published by a live service.
  files = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const file = path.join(CORPUS, 'imported-schema', rel);
    if (!file.startsWith(path.join(CORPUS, 'imported-schema'))) return void res.writeHead(403).end();
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': 'text/xml' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => files?.close(resolve));
  await work?.remove();
});

describe('seam adapter init (CLI)', () => {
  it('writes an adapter from a WSDL file and refuses to overwrite without --force', async () => {
    const out = path.join(work.dir, 'cli-crm');
    const wsdl = path.join(CORPUS, 'doc-literal/customers.wsdl');
    const first = await runSeam(['adapter', 'init', '--wsdl', wsdl, '--name', 'crm', '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /resource customers: GetCustomer \(one\), ListCustomers \(list\); key CustomerId/,
    );
    assert.match(first.stdout, /not read operations \(never called\): UpdateCustomerStatus/);
    assert.deepEqual((await readdir(out)).sort(), [
      'README.md',
      'index.ts',
      'records.ts',
      'resources.ts',
      'schemas.ts',
      'soap.ts',
      'wsdl',
      'xsd.ts',
    ]);
    assert.deepEqual(await readdir(path.join(out, 'wsdl')), ['crm.wsdl']);

    const again = await seamHere(['adapter', 'init', '--wsdl', wsdl, '--name', 'crm', '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already has files; pass --force/);

    await writeFile(path.join(out, 'index.ts'), '// edited by hand\n');
    const forced = await seamHere([
      'adapter',
      'init',
      '--wsdl',
      wsdl,
      '--name',
      'crm',
      '--out',
      out,
      '--force',
      '--json',
    ]);
    assert.equal(forced.code, 0, forced.stderr);
    const json = JSON.parse(forced.stdout) as {
      resources: Array<{ name: string }>;
      service: { soapVersion: string };
    };
    assert.deepEqual(
      json.resources.map((r) => r.name),
      ['customers'],
    );
    assert.equal(json.service.soapVersion, '1.1');
    assert.match(await readFile(path.join(out, 'index.ts'), 'utf8'), /defineAdapter/);
  });

  it('reads a WSDL and its imported schemas over HTTP', async () => {
    const out = path.join(work.dir, 'cli-billing');
    const run = await seamHere([
      'adapter',
      'init',
      '--wsdl',
      `${base}/billing.wsdl`,
      '--name',
      'billing',
      '--out',
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /resource invoices: GetInvoice \(one\), SearchInvoices \(list\); key invoiceNo/);
    assert.deepEqual((await readdir(path.join(out, 'wsdl'))).sort(), [
      'billing.wsdl',
      'messages.xsd',
      'types.xsd',
    ]);
    // The copies point at each other, so the adapter works without the original server.
    assert.match(
      await readFile(path.join(out, 'wsdl/billing.wsdl'), 'utf8'),
      /schemaLocation="messages\.xsd"/,
    );
  });

  it('exits 2 on bad usage', async () => {
    const noName = await runSeam(['adapter', 'init', '--wsdl', 'x.wsdl']);
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /--name/);
    const badName = await seamHere(['adapter', 'init', '--wsdl', 'x.wsdl', '--name', 'My System']);
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /--name "My System": use lower-case letters/);
  });

  it('exits 1 naming the file that cannot be read', async () => {
    const missing = path.join(work.dir, 'nowhere.wsdl');
    const run = await runSeam([
      'adapter',
      'init',
      '--wsdl',
      missing,
      '--name',
      'x',
      '--out',
      path.join(work.dir, 'x'),
    ]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim(), `seam: cannot read the WSDL: ${missing}: cannot read: no such file`);
    const gone = await seamHere([
      'adapter',
      'init',
      '--wsdl',
      `${base}/gone.wsdl`,
      '--name',
      'x',
      '--out',
      path.join(work.dir, 'x'),
    ]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /gone\.wsdl: cannot fetch: HTTP 404/);
  });
});

describe('adapter init: precise errors for WSDLs it cannot read', () => {
  async function failure(files: Record<string, string>, entry: string): Promise<string> {
    const dir = path.join(
      work.dir,
      `bad-${Object.keys(files)
        .join('-')
        .replace(/[^a-z]/g, '')}-${Date.now()}`,
    );
    await mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    const err = await initAdapter({
      wsdl: path.join(dir, entry),
      name: 'bad',
      outDir: path.join(dir, 'out'),
    }).then(
      () => assert.fail('expected the WSDL to be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WsdlError, String(err));
    return err.message.replace(dir + path.sep, '');
  }

  const wsdl = (types: string, rest = '') => `<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:t" targetNamespace="urn:t">
  <types>${types}</types>${rest}
</definitions>`;

  it('malformed XML: file, line and column', async () => {
    const msg = await failure(
      { 'a.wsdl': '<?xml version="1.0"?>\n<definitions>\n  <types>\n</definitions>\n' },
      'a.wsdl',
    );
    assert.match(msg, /^a\.wsdl:4:\d+: not well-formed XML: .*types/);
  });

  it('an imported schema that is missing: which file, referenced from where', async () => {
    const msg = await failure(
      {
        'a.wsdl': wsdl(
          '<xs:schema targetNamespace="urn:t"><xs:include schemaLocation="types/t.xsd"/></xs:schema>',
        ),
      },
      'a.wsdl',
    );
    assert.match(msg, /types\/t\.xsd: cannot read \(referenced from .*a\.wsdl\): no such file$/);
  });

  it('an imported schema whose namespace is not the one imported', async () => {
    const msg = await failure(
      {
        'a.wsdl': wsdl(
          '<xs:schema targetNamespace="urn:t"><xs:import namespace="urn:x" schemaLocation="t.xsd"/></xs:schema>',
        ),
        't.xsd': '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:y"/>',
      },
      'a.wsdl',
    );
    assert.match(
      msg,
      /t\.xsd: imported for namespace "urn:x" by .*a\.wsdl, but its targetNamespace is "urn:y"/,
    );
  });

  it('not a WSDL 1.1 document', async () => {
    assert.match(
      await failure({ 'a.xsd': '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>' }, 'a.xsd'),
      /a\.xsd: not a WSDL 1\.1 document: root element is <schema>/,
    );
    assert.match(
      await failure({ 'b.wsdl': '<description xmlns="http://www.w3.org/ns/wsdl"/>' }, 'b.wsdl'),
      /b\.wsdl: WSDL 2\.0 is not supported/,
    );
  });

  it('a reference to a type nobody defines, and a WSDL without a SOAP binding', async () => {
    const msg = await failure(
      {
        'a.wsdl': wsdl(
          '<xs:schema targetNamespace="urn:t"><xs:element name="GetX"><xs:complexType><xs:sequence><xs:element name="id" type="tns:Missing"/></xs:sequence></xs:complexType></xs:element></xs:schema>',
          `<message name="in"><part name="p" element="tns:GetX"/></message>
  <portType name="P"><operation name="GetX"><input message="tns:in"/><output message="tns:in"/></operation></portType>
  <binding name="B" type="tns:P"><soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="GetX"><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation></binding>`,
        ),
      },
      'a.wsdl',
    );
    assert.match(msg, /^a\.wsdl: type "Missing" \(namespace "urn:t"\) is not defined in any schema$/);
    assert.match(
      await failure({ 'c.wsdl': wsdl('') }, 'c.wsdl'),
      /c\.wsdl: no SOAP 1\.1 or SOAP 1\.2 binding found/,
    );
  });
});
