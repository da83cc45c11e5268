/**
 * For the `seam adapter init` tests: a scratch folder where generated adapters resolve seam's
 * packages and type-check, a real node-soap server from a WSDL, and a node-soap client that
 * stands in for the legacy caller.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import soap from 'soap';
import type { z } from 'zod';
import { initAdapter, type InitResult } from '../../src/adapter/init/generate.ts';
import type { AnyResource, LegacyCaller } from '../../src/adapter/resource.ts';
import type { AdapterDefinition } from '../../src/adapter/types.ts';
import { ROOT } from './process.ts';

export const CORPUS = path.join(ROOT, 'test/wsdl-corpus');

/** A temp folder with seam's node_modules linked in, an ESM package.json and a tsconfig. */
export async function scratch(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'seam-adapter-init-'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    }),
  );
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Run the TypeScript compiler (no emit) over a folder with a tsconfig. */
export function typecheck(dir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const child = spawn(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json'), '--noEmit'], {
      cwd: dir,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

export interface SoapServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A real SOAP server (node-soap's `soap.listen`) for a WSDL file, on loopback. The file's path is
 * given as the base for its imported and included schemas.
 */
export async function startSoapServer(wsdlPath: string, services: object): Promise<SoapServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const xml = await readFile(wsdlPath, 'utf8');
  soap.listen(server, { path: '/soap', services: services as soap.IServices, xml, uri: wsdlPath });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/soap`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Services for the corpus SOAP 1.2 WSDL (soap12/orders.wsdl): GetOrder answers `order(number)` and
 * reports the content type each request came with (SOAP 1.2 sends application/soap+xml).
 */
export function soap12Orders(order: (orderNumber: string) => object, onContentType: (ct: string) => void) {
  return {
    OrderService: {
      OrderServiceSoap12: {
        GetOrder: (
          a: { OrderNumber: string },
          _cb: unknown,
          _headers: unknown,
          req: { headers: Record<string, string> },
        ) => {
          onContentType(req.headers['content-type'] ?? '');
          return { Order: order(a.OrderNumber) };
        },
      },
    },
  };
}

/** Keep decimals and dates as the legacy text instead of node-soap's floats and Date objects. */
export const exactText = {
  customDeserializer: { decimal: (t: string) => t, date: (t: string) => t, dateTime: (t: string) => t },
};

/** What a generated adapter's fetch functions call: one node-soap client call per operation. */
export async function soapCaller(
  wsdlPath: string,
  endpoint: string,
  options: object = exactText,
): Promise<{ call(operation: string, args: Record<string, unknown>): Promise<unknown> }> {
  // node-soap caches a parsed WSDL with the options of its first client; each caller gets its own.
  const client = await soap.createClientAsync(wsdlPath, { endpoint, disableCache: true, ...options });
  return {
    async call(operation, args) {
      const fn = (client as unknown as Record<string, (a: unknown) => Promise<[unknown]>>)[
        `${operation}Async`
      ];
      if (!fn) throw new Error(`no operation ${operation}`);
      const [result] = await fn.call(client, args);
      return result;
    },
  };
}

/** A generated adapter, imported. */
export interface Generated {
  result: InitResult;
  /** schemas.ts: the wire schemas. */
  schemas: Record<string, z.ZodType>;
  /** records.ts: the record schemas. */
  records: Record<string, z.ZodType>;
  adapter: AdapterDefinition;
  resource(name: string): AnyResource;
  /** The copied entry WSDL inside the generated folder. */
  wsdl: string;
}

/** Generate an adapter from a corpus WSDL into `dir/<name>` and import it. */
export async function generate(dir: string, name: string, corpusFile: string): Promise<Generated> {
  const outDir = path.join(dir, name);
  const result = await initAdapter({ wsdl: path.join(CORPUS, corpusFile), name, outDir });
  const schemas = (await import(path.join(outDir, 'schemas.ts'))) as Record<string, z.ZodType>;
  const records = (await import(path.join(outDir, 'records.ts'))) as Record<string, z.ZodType>;
  const { adapter } = (await import(path.join(outDir, 'index.ts'))) as { adapter: AdapterDefinition };
  assert.ok(adapter.soap, 'the adapter has SOAP settings');
  return {
    result,
    schemas,
    records,
    adapter,
    resource(n) {
      const r = adapter.resources.find((x) => x.name === n);
      assert.ok(r, `resource ${n} generated (got ${adapter.resources.map((x) => x.name).join(', ')})`);
      return r;
    },
    wsdl: adapter.soap.wsdl,
  };
}

/** Serve the generated adapter's copied WSDL with `services`, and call it as the generated code does. */
export async function live(
  g: Generated,
  services: object,
): Promise<{ legacy: LegacyCaller; server: SoapServer }> {
  const server = await startSoapServer(g.wsdl, services);
  // node-soap speaks SOAP 1.2 only when told; the generated `protocol` says which the WSDL binds.
  const soap12 = g.result.service.soapVersion === '1.2' ? { forceSoap12Headers: true } : {};
  return { server, legacy: await soapCaller(g.wsdl, server.url, { ...exactText, ...soap12 }) };
}

/** Drop keys whose value is undefined (optional elements that were absent). */
export function defined(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

/** The generated TypeScript files that are not formatted as the project formats its code. */
export async function unformatted(dir: string, names: string[]): Promise<string[]> {
  const options = (await prettier.resolveConfig(path.join(ROOT, 'package.json'))) ?? {};
  const bad: string[] = [];
  for (const name of names)
    for (const file of ['index.ts', 'resources.ts', 'records.ts', 'schemas.ts', 'soap.ts', 'xsd.ts']) {
      const p = path.join(dir, name, file);
      if (!(await prettier.check(await readFile(p, 'utf8'), { ...options, filepath: p })))
        bad.push(`${name}/${file}`);
    }
  return bad;
}

/** ESLint findings on the generated TypeScript, with the project's own configuration. */
export async function lintFindings(dir: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: path.join(ROOT, 'eslint.config.js') });
  const results = await eslint.lintFiles(['*/*.ts']);
  return results.flatMap((r) =>
    r.messages.map((m) => `${path.relative(dir, r.filePath)}:${m.line}: ${m.message} (${m.ruleId ?? ''})`),
  );
}
