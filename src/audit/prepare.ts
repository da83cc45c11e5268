/**
 * Turn what an area hands in into an entry safe to keep forever: credential-like fields are always
 * masked, registered personal-data fields too (adapters mark them; the trail is read by more people
 * than the data is), strings are scrubbed of anything that looks like a key, and big inputs are
 * replaced by their size and digest.
 */
import { createHash } from 'node:crypto';
import { REDACTED } from '../access/redact.ts';
import { scrubCredentials } from '../log.ts';
import type { AuditEntryInput, PreparedEntry } from './types.ts';

/** Field names whose values are secrets wherever they appear. */
const SECRET_FIELD = /pass(word|wd|phrase)?$|secret|token|authori[sz]ation|api_?key|credential|cookie/i;
/** Inputs larger than this (as JSON) are stored as `{ truncated, bytes, sha256 }`. */
export const MAX_INPUT_BYTES = 16 * 1024;
const MAX_DEPTH = 20;

/**
 * Every pattern scrubCredentials (src/log.ts; keep the two in step) looks for contains one of
 * these; most strings (ids, paths, names) contain none, and skip its four replaces.
 */
const MAYBE_CREDENTIAL = /authori[sz]ation|password|seam_|@/i;

function scrub(s: string): string {
  return MAYBE_CREDENTIAL.test(s) ? scrubCredentials(s) : s;
}

/** jsonb refuses NUL and lone surrogates; replace them rather than lose the entry. */
function clean(s: string): string {
  return s.replace(/\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

export class Masker {
  private readonly personal = new Set<string>();

  /** Field names (any depth) whose values are personal data, e.g. `email`, `phone`. */
  addSensitiveFields(fields: Iterable<string>): void {
    for (const f of fields) this.personal.add(f.toLowerCase());
  }

  /** A JSON-plain, masked copy of v. */
  mask(v: unknown, depth = 0): unknown {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return scrub(clean(v));
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (depth >= MAX_DEPTH) return '[too deep]';
    if (Array.isArray(v)) return v.map((x) => this.mask(x, depth + 1));
    if (typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === undefined || typeof x === 'function') continue;
        const key = clean(k);
        out[key] =
          SECRET_FIELD.test(k) || this.personal.has(k.toLowerCase()) ? REDACTED : this.mask(x, depth + 1);
      }
      return out;
    }
    return null;
  }

  /** Masked and bounded in size. */
  maskBounded(v: unknown): unknown {
    const m = this.mask(v);
    if (m === null) return null;
    const text = JSON.stringify(m);
    if (Buffer.byteLength(text) <= MAX_INPUT_BYTES) return m;
    return {
      truncated: true,
      bytes: Buffer.byteLength(text),
      sha256: createHash('sha256').update(text).digest('hex'),
    };
  }

  prepare(e: AuditEntryInput): PreparedEntry {
    const records = e.records ?? [];
    const text = (s: string | undefined, max: number) =>
      s === undefined ? null : scrub(clean(s)).slice(0, max);
    return {
      at: e.at ?? new Date(),
      actorKind: e.actor.kind,
      actorId: text(e.actor.id, 200)!,
      actorName: text(e.actor.name, 200)!,
      action: text(e.action, 300)!,
      // Most requests touch one record: nothing to de-duplicate.
      records: (records.length < 2 ? records : [...new Set(records)].slice(0, 1000)).map((r) =>
        text(r, 300)!,
      ),
      input: this.maskBounded(e.input),
      decision: e.decision ?? 'allowed',
      reason: text(e.reason, 1000),
      status: e.status ?? null,
      result: this.maskBounded(e.result),
      requestId: text(e.requestId, 200),
    };
  }
}
