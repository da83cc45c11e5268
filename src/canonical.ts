/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit, as Array.prototype.sort does) at every
 * depth, `undefined` properties left out, `undefined` array items written as null. Equal values give
 * equal text whatever their key order, so a value read back from jsonb (which reorders keys) hashes
 * the same as the value written. Record hashes and the audit chain both depend on this exact text:
 * changing it breaks every stored hash (test/audit.chain.test.ts pins it).
 */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i === 0 ? '' : ',') + canonicalJson(v[i]);
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > 1) keys.sort();
  let s = '{';
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    s += `${s.length === 1 ? '' : ','}${JSON.stringify(k)}:${canonicalJson(x)}`;
  }
  return `${s}}`;
}
