/**
 * Which events a reader wants: type globs (`erp.account.*`, `seam.proposal.?pproved`) and a subject
 * prefix (`accounts/`). The same filter runs as SQL (reading the log) and in memory (live fan-out to
 * SSE streams), so both must agree: `*` is any run of characters (dots included), `?` one character.
 */
import { z } from 'zod';

/** At most this many globs per reader: each is one LIKE in the query. */
export const MAX_TYPE_GLOBS = 20;

export const TypeGlob = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._*?-]+$/, 'a type glob uses letters, digits, . _ - and the wildcards * ?');

export const SubjectPrefix = z.string().min(1).max(500);

export interface EventFilter {
  /** Any of these globs matches the event's type; absent or empty means every type. */
  types?: readonly string[];
  /** The event's subject starts with this. */
  subject?: string;
}

export interface CompiledFilter {
  /** LIKE patterns for `type LIKE ANY($n)`, or null for every type. */
  likePatterns: string[] | null;
  subject: string | null;
  matches(event: { type: string; subject?: string | null }): boolean;
}

export function globToLike(glob: string): string {
  return glob
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.*?\\^$+()[\]{}|-]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, 's');
}

export function compileFilter(filter: EventFilter = {}): CompiledFilter {
  const globs = filter.types && filter.types.length > 0 ? [...filter.types] : null;
  const regexps = globs?.map(globToRegExp) ?? null;
  const subject = filter.subject ?? null;
  return {
    likePatterns: globs?.map(globToLike) ?? null,
    subject,
    matches(event) {
      if (regexps && !regexps.some((r) => r.test(event.type))) return false;
      if (subject !== null && !(event.subject ?? '').startsWith(subject)) return false;
      return true;
    },
  };
}

/** `types=a,b` or `types=a&types=b`, as a list. */
export const TypesParam = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(TypeGlob).max(MAX_TYPE_GLOBS));
