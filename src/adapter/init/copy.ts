/**
 * Copies of the WSDL and every document it pulls in, flat under the adapter's `wsdl/` folder, with
 * their references rewritten to the copies: the adapter then works without the original files or
 * server (node-soap resolves the imports relative to the copied entry WSDL).
 */
import path from 'node:path';
import { isUrl, type LoadedDocument, type LoadedWsdl } from './load.ts';

/** Local file names for the WSDL and every document it pulls in, flat under `wsdl/`. */
export function copyDocuments(loaded: LoadedWsdl, name: string): Map<LoadedDocument, string> {
  const names = new Map<LoadedDocument, string>();
  const used = new Set<string>();
  loaded.documents.forEach((doc, i) => {
    const ext = doc.kind === 'wsdl' ? '.wsdl' : '.xsd';
    let base: string;
    if (doc === loaded.main) base = `${name}${ext}`;
    else {
      const raw = isUrl(doc.location) ? new URL(doc.location).pathname : doc.location;
      const b = path.basename(raw).replace(/[^A-Za-z0-9._-]/g, '_');
      const query = isUrl(doc.location) && new URL(doc.location).search !== '';
      base = !b || query ? `${name}-${i}${ext}` : /\.(wsdl|xsd|xml)$/i.test(b) ? b : `${b}${ext}`;
    }
    let file = base;
    for (let n = 2; used.has(file.toLowerCase()); n++) file = base.replace(/(\.[^.]+)$/, `-${n}$1`);
    used.add(file.toLowerCase());
    names.set(doc, file);
  });
  return names;
}

/** The document's text with each reference pointing at the copied file. */
export function rewriteRefs(doc: LoadedDocument, names: Map<LoadedDocument, string>): string {
  let text = doc.text;
  const byLocation = new Map([...names].map(([d, n]) => [d.location, n]));
  for (const ref of doc.refs) {
    const local = byLocation.get(ref.target);
    if (!local) continue;
    const escaped = ref.value.replace(/&/g, '&amp;');
    for (const v of new Set([ref.value, escaped])) {
      const re = new RegExp(
        `(${ref.attr}\\s*=\\s*)(["'])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\2`,
        'g',
      );
      text = text.replace(re, `$1$2${local}$2`);
    }
  }
  return text;
}
