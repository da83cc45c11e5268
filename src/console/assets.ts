/**
 * The console's static files (src/console/public/), read once at start-up and served from memory.
 * Only files in this folder with a known type are served; the list is fixed at start, so a request
 * can never name a path outside it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export function loadAssets(dir = PUBLIC_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of fs.readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = fs.readFileSync(path.join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    out.set(name, { body, type, etag });
  }
  if (!out.has('index.html')) throw new Error(`console: ${dir} has no index.html`);
  return out;
}
