import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers/process.ts';

/** Every file under a folder, recursively. */
function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

describe('src/ knows no legacy system by name', () => {
  it('no file under src/ mentions the demo system (system knowledge lives in adapters/, wsdl/, fixtures/)', () => {
    const all = files(path.join(ROOT, 'src'));
    assert.ok(all.length > 20, 'the walk found the sources');
    const offenders = all.filter((f) => /acme/i.test(fs.readFileSync(f, 'utf8')) || /acme/i.test(f));
    assert.deepEqual(
      offenders.map((f) => path.relative(ROOT, f)),
      [],
    );
  });
});
