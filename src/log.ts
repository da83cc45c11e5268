/**
 * One root pino logger; each area takes a child with `area` set (pinojs/pino docs/child-loggers.md).
 * Credentials are redacted by path, and error serialisation strips known credential carriers
 * (HTTP auth headers inside client errors, SOAP security headers).
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

export type Area =
  | 'main'
  | 'http'
  | 'store'
  | 'legacy'
  | 'ingest'
  | 'records'
  | 'events'
  | 'proposals'
  | 'access'
  | 'audit'
  | 'mcp'
  | 'console'
  | 'cli';

/** Paths whose values must never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwd',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.key',
  '*.authorization',
  '*.Authorization',
  'err.config',
  'err.request',
  'err.response.config',
  'err.response.request',
  'err.options',
];

const CREDENTIAL_PATTERNS: RegExp[] = [
  /(authorization["']?\s*[:=]\s*["']?)(basic|bearer)\s+[^"',\s}]+/gi,
  /(<(?:\w+:)?Password[^>]*>)[^<]*(<\/(?:\w+:)?Password>)/gi,
  /\bseam_[a-z]+_[A-Za-z0-9]{20,}\b/g,
  /(\/\/[^:/@\s]+:)[^@/\s]+@/g,
];

/** Remove credentials from free text (error messages, SOAP bodies). */
export function scrubCredentials(text: string): string {
  return CREDENTIAL_PATTERNS.reduce(
    (acc, re) =>
      acc.replace(re, (_m, a?: string, b?: string) => {
        if (re.source.startsWith('(<')) return `${a}[REDACTED]${b}`;
        if (typeof a === 'string' && a.length > 0) return `${a}[REDACTED]`;
        return '[REDACTED]';
      }),
    text,
  );
}

function errSerializer(err: unknown): unknown {
  const base = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) {
    // Client libraries hang the whole request (with its auth header) off their errors.
    if (['config', 'request', 'response', 'options', 'body', 'envelope'].includes(k)) continue;
    out[k] = typeof v === 'string' ? scrubCredentials(v) : v;
  }
  return out;
}

export function createLogger(opts: { level?: string } = {}, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: 'seam' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: { err: errSerializer, error: errSerializer },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  return pino(options);
}

export function areaLogger(root: Logger, area: Area, extra: Record<string, unknown> = {}): Logger {
  return root.child({ area, ...extra });
}
