/**
 * Configuration: read once, from the environment, through one zod schema.
 * A bad value stops start-up with a message naming the variable (see ConfigError).
 * Every setting is documented here and in README.md.
 */
import net from 'node:net';
import path from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Boolean settings accept true/false, 1/0, yes/no. */
export const envBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A duration such as `500ms`, `90s`, `15m`, `12h`, `30d`, as milliseconds. */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must look like 90s, 15m, 12h or 30d')
  .transform((v) => {
    const [, n, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(v)!;
    return Number(n) * DURATION_MS[unit as keyof typeof DURATION_MS];
  });

function isAddressOrCidr(v: string): boolean {
  const [addr, bits, extra] = v.split('/');
  const family = net.isIP(addr ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

/** A comma-separated list, trimmed, empty entries dropped. */
const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const envSchema = z.object({
  /** TCP port of the HTTP server. 0 picks a free port (tests). */
  PORT: port.default(8080),
  /** Interface to bind; loopback by default so a pilot is not exposed by accident. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** PostgreSQL URL. When unset, seam runs an embedded PostgreSQL (PGlite) under SEAM_DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** Schema that holds seam's tables. Tests give each file its own. */
  SEAM_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('seam'),
  /** Pool size toward PostgreSQL; the legacy box, not the database, is the bottleneck. */
  SEAM_DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /** Where embedded state lives (PGlite data, demo drop folder). `memory://` keeps PGlite in memory. */
  SEAM_DATA_DIR: z.string().min(1).default('.seam-data'),
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest JSON request body accepted; larger ones get 413. */
  SEAM_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb')
    .default('256kb'),
  /** How long SIGTERM waits for in-flight requests before closing connections. */
  SEAM_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** How long /readyz waits for the store before calling it down. */
  SEAM_READY_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  /** How long a human's sign-in session lasts before they must log in again. */
  SEAM_SESSION_TTL_HOURS: z.coerce
    .number()
    .min(0.01)
    .max(24 * 30)
    .default(12),
  /** Requests per minute one agent key may make unless the key sets its own limit. */
  SEAM_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Requests per minute all agents together may make (protects the store and the legacy system). */
  SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(6_000),
  /** Largest page a caller may ask for (`limit`/`pageSize` query parameters); larger gets 400. */
  SEAM_MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Time zone for plain dates in audit queries (`from=2026-11-17`), an IANA name. */
  SEAM_TIMEZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin')
    .default('UTC'),
  /** Audit entries of reads are batched in memory and written at least this often. */
  SEAM_AUDIT_FLUSH_MS: z.coerce.number().int().min(10).max(10_000).default(200),
  /** ...or as soon as this many are waiting. */
  SEAM_AUDIT_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500),
  /**
   * Events: every process also re-reads the log head this often, in case a NOTIFY was lost (a
   * dropped LISTEN connection). NOTIFY is what wakes readers promptly; 0 turns the safety net off.
   */
  SEAM_EVENTS_SAFETY_POLL_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  /** SSE streams send a comment this often so proxies and clients see the connection is alive. */
  SEAM_EVENTS_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** Events older than this (e.g. `90d`, `12h`) are archived or pruned by the retention job; unset keeps all. */
  SEAM_EVENTS_MAX_AGE: duration.optional(),
  /** `archive` writes old events to JSONL files before deleting them; `prune` only deletes. */
  SEAM_EVENTS_RETENTION_MODE: z.enum(['archive', 'prune']).default('archive'),
  /** When the retention job runs (cron expression, server time zone). */
  SEAM_EVENTS_RETENTION_CRON: z
    .string()
    .refine((v) => cron.validate(v), 'must be a cron expression such as 17 3 * * *')
    .default('17 3 * * *'),
  /** Where archived events go; default `<SEAM_DATA_DIR>/events-archive`. */
  SEAM_EVENTS_ARCHIVE_DIR: z.string().min(1).optional(),
  /**
   * Webhooks: host names (exact, or `*.example.com`) an agent may register a webhook URL on.
   * Unset means no webhook can be registered.
   */
  SEAM_WEBHOOK_ALLOWED_HOSTS: z.string().optional(),
  /**
   * Private, loopback and link-local addresses (or CIDR ranges, e.g. `10.1.0.0/16`) a webhook may
   * resolve to anyway. Without an entry here seam refuses to call such addresses.
   */
  SEAM_WEBHOOK_ALLOWED_ADDRESSES: z
    .string()
    .refine((v) => list(v).every(isAddressOrCidr), 'must be IP addresses or CIDR ranges, comma-separated')
    .optional(),
  /** One delivery attempt gives up after this long. */
  SEAM_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Consecutive failed attempts after which a subscription is parked until someone resumes it. */
  SEAM_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  /** First retry delay; doubles per failure (with jitter) up to SEAM_WEBHOOK_RETRY_MAX_MS. */
  SEAM_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
  SEAM_WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
  /**
   * Legacy systems: which adapters to load (folder names under adapters/, comma-separated).
   * Unset loads the defaults listed in adapters/defaults.ts.
   */
  SEAM_ADAPTERS: z
    .string()
    .refine(
      (v) => list(v).every((n) => /^[a-z0-9][a-z0-9_-]*$/.test(n)),
      'must be adapter folder names, comma-separated',
    )
    .optional(),
  /**
   * Endpoint of the legacy system (with several adapters, SEAM_LEGACY_URL_<SYSTEM> per system).
   * Unset: the adapter's simulator is started on loopback and used instead (demo).
   */
  SEAM_LEGACY_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Credentials for the legacy endpoint (read-only user). Never logged. */
  SEAM_LEGACY_USERNAME: z.string().optional(),
  SEAM_LEGACY_PASSWORD: z.string().optional(),
  /** Overrides of the adapter's declared limits (see docs/adapters.md); unset keeps the adapter's. */
  SEAM_LEGACY_TIMEOUT_MS: z.coerce.number().int().min(10).max(300_000).optional(),
  SEAM_LEGACY_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).optional(),
  SEAM_LEGACY_CALLS_PER_SECOND: z.coerce.number().int().min(1).max(100_000).optional(),
  SEAM_LEGACY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).optional(),
  /** Maintenance windows as cron expressions separated by `;`, or `none`; unset keeps the adapter's. */
  SEAM_LEGACY_MAINTENANCE: z
    .string()
    .refine(
      (v) =>
        v === 'none' ||
        v.split(';').every((x) => x.trim().split(/\s+/).length === 5 && cron.validate(x.trim())),
      'must be `none` or 5-field cron expressions separated by ;',
    )
    .optional(),
  /** Scheduled changed-since polls of the legacy system (per resource, on the adapter's cron). */
  SEAM_LEGACY_POLL: envBool.default(true),
  /**
   * At start, poll at once every resource that has never completed a poll (a fresh store), instead of
   * waiting for its first scheduled round; later starts wait for the schedule.
   */
  SEAM_LEGACY_POLL_AT_START: envBool.default(true),
  /** The demo simulator (used when no SEAM_LEGACY_URL is set): think time per call and worker slots. */
  SEAM_SIMULATOR_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(40),
  SEAM_SIMULATOR_WORKERS: z.coerce.number().int().min(1).max(256).default(6),
  /**
   * Shadow mode (docs/adapters.md, "Swapping the legacy system out"): an adapter folder whose system
   * is read beside the primary one for the resources both serve; agents get the primary's answers,
   * and every difference is recorded (GET /v1/shadow/diffs). Unset: no shadow.
   */
  SEAM_SHADOW_ADAPTER: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be an adapter folder name')
    .optional(),
  /** The shadow system's endpoint; unset starts the shadow adapter's simulator on loopback. */
  SEAM_SHADOW_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Read-only credentials for the shadow system (never logged). */
  SEAM_SHADOW_USERNAME: z.string().optional(),
  SEAM_SHADOW_PASSWORD: z.string().optional(),
  /** Resources to shadow, comma-separated; unset: every resource both adapters serve. */
  SEAM_SHADOW_RESOURCES: z.string().optional(),
  /** Fields left out of comparisons (`updatedAt`, or `accounts.updatedAt` for one resource), comma-separated. */
  SEAM_SHADOW_IGNORE_FIELDS: z.string().optional(),
  /** Records of each live page (polls) also read from the shadow and compared; 0 compares single reads only. */
  SEAM_SHADOW_PAGE_SAMPLE: z.coerce.number().int().min(0).max(1_000).default(20),
  /** Comparisons waiting at most; beyond that new ones are skipped (counted) so the shadow never piles up. */
  SEAM_SHADOW_MAX_PENDING: z.coerce.number().int().min(1).max(100_000).default(500),
  /**
   * Proposals: the approval policy file (YAML or JSON) the business owner reads and tunes. A missing
   * file means the built-in defaults (docs/proposals.md); a file that does not parse stops start-up.
   */
  SEAM_POLICY_FILE: z.string().min(1).default('policy/proposals.yaml'),
  /**
   * Day 1 of the 90-day proposal period (YYYY-MM-DD). Unset: the date seam first started on this
   * database, kept in seam_settings.
   */
  SEAM_GO_LIVE: z.iso.date('must be a date like 2026-01-31').optional(),
  /**
   * gated-write only: a JSON file `{"username": ..., "password": ...}` with the legacy write user.
   * Read at the moment seam carries out a gated-write proposal and never kept; in proposal mode leave
   * it unset (seam then holds no write credential at all).
   */
  SEAM_WRITE_CREDENTIALS_FILE: z.string().min(1).optional(),
  /** Run the proposals' background work (expiry and escalation, stale checks, verification, gated-write). */
  SEAM_PROPOSAL_JOBS: envBool.default(true),
  /** Folder the legacy box drops batch files into; default `<SEAM_DATA_DIR>/drop` (created at start). */
  SEAM_INGEST_DROP_DIR: z.string().min(1).optional(),
  /** Watch the drop folder and ingest ready files (off: only `seam ingest FILE` ingests). */
  SEAM_INGEST_WATCH: envBool.default(true),
  /** Stable-size readiness: a file whose size and mtime have not changed for this long is complete. */
  SEAM_INGEST_STABLE_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
  /** Share of bad rows (0..1) a file may have and still apply with them quarantined; above it the file is rejected. */
  SEAM_INGEST_MAX_BAD_SHARE: z.coerce.number().min(0).max(1).default(0.01),
  /** Longest record accepted; a longer line rejects its file instead of growing memory. */
  SEAM_INGEST_MAX_LINE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** Full rescan of the drop folder this often, in case a file-system event was missed (network shares). */
  SEAM_INGEST_SCAN_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  http: { port: number; host: string; bodyLimit: string; shutdownTimeoutMs: number; readyTimeoutMs: number };
  store: { url?: string; schema: string; poolMax: number; dataDir: string };
  log: { level: Env['LOG_LEVEL'] };
  access: {
    sessionTtlMs: number;
    rateLimitPerMinute: number;
    globalRateLimitPerMinute: number;
    maxPageSize: number;
    timezone: string;
  };
  audit: { flushMs: number; batchMax: number };
  events: {
    safetyPollMs: number;
    heartbeatMs: number;
    retention: { maxAgeMs?: number; mode: 'archive' | 'prune'; cron: string; archiveDir: string };
    webhooks: {
      allowedHosts: string[];
      allowedAddresses: string[];
      timeoutMs: number;
      maxAttempts: number;
      retryBaseMs: number;
      retryMaxMs: number;
    };
  };
  legacy: {
    /** Adapter folder names to load; undefined means the defaults in adapters/defaults.ts. */
    adapters?: string[];
    /** Endpoint for every system, unless a per-system one is set in `urls` (by system id). */
    url?: string;
    urls: Record<string, string>;
    credentials?: { username: string; password: string };
    overrides: {
      timeoutMs?: number;
      maxConcurrency?: number;
      callsPerSecond?: number;
      cacheTtlMs?: number;
      maintenanceWindows?: string[];
    };
    poll: boolean;
    /** Poll never-polled resources at once on start (SEAM_LEGACY_POLL_AT_START). */
    pollAtStart: boolean;
    simulator: { latencyMs: number; workers: number };
  };
  proposals: { policyFile: string; goLive?: string; writeCredentialsFile?: string; jobs: boolean };
  /** Shadow mode; undefined when off. */
  shadow?: {
    /** Adapter folder name. */
    adapter: string;
    url?: string;
    credentials?: { username: string; password: string };
    /** Undefined: every resource both serve. */
    resources?: string[];
    /** `field` or `resource.field`. */
    ignoreFields: string[];
    pageSample: number;
    maxPending: number;
  };
  ingest: {
    /** Undefined only with an in-memory data dir and no SEAM_INGEST_DROP_DIR: nothing to watch. */
    dropDir?: string;
    watch: boolean;
    stableMs: number;
    maxBadShare: number;
    maxLineBytes: number;
    scanIntervalMs: number;
  };
  dataDir: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super('Invalid configuration:\n' + issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Parse the environment (or a given record) into a Config; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", as most shells and .env files intend.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({
        variable: String(i.path[0] ?? '(environment)'),
        message: `${i.message} (got ${JSON.stringify(cleaned[String(i.path[0])] ?? null)})`,
      })),
    );
  }
  const e = parsed.data;
  const dataDir = e.SEAM_DATA_DIR === 'memory://' ? e.SEAM_DATA_DIR : path.resolve(e.SEAM_DATA_DIR);
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimit: e.SEAM_BODY_LIMIT,
      shutdownTimeoutMs: e.SEAM_SHUTDOWN_TIMEOUT_MS,
      readyTimeoutMs: e.SEAM_READY_TIMEOUT_MS,
    },
    store: { url: e.DATABASE_URL, schema: e.SEAM_DB_SCHEMA, poolMax: e.SEAM_DB_POOL_MAX, dataDir },
    log: { level: e.LOG_LEVEL },
    access: {
      sessionTtlMs: Math.round(e.SEAM_SESSION_TTL_HOURS * 3_600_000),
      rateLimitPerMinute: e.SEAM_RATE_LIMIT_PER_MINUTE,
      globalRateLimitPerMinute: e.SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE,
      maxPageSize: e.SEAM_MAX_PAGE_SIZE,
      timezone: e.SEAM_TIMEZONE,
    },
    audit: { flushMs: e.SEAM_AUDIT_FLUSH_MS, batchMax: e.SEAM_AUDIT_BATCH_MAX },
    events: {
      safetyPollMs: e.SEAM_EVENTS_SAFETY_POLL_MS,
      heartbeatMs: e.SEAM_EVENTS_HEARTBEAT_MS,
      retention: {
        maxAgeMs: e.SEAM_EVENTS_MAX_AGE,
        mode: e.SEAM_EVENTS_RETENTION_MODE,
        cron: e.SEAM_EVENTS_RETENTION_CRON,
        archiveDir: path.resolve(
          e.SEAM_EVENTS_ARCHIVE_DIR ??
            path.join(dataDir === 'memory://' ? '.seam-data' : dataDir, 'events-archive'),
        ),
      },
      webhooks: {
        allowedHosts: list(e.SEAM_WEBHOOK_ALLOWED_HOSTS).map((h) => h.toLowerCase()),
        allowedAddresses: list(e.SEAM_WEBHOOK_ALLOWED_ADDRESSES),
        timeoutMs: e.SEAM_WEBHOOK_TIMEOUT_MS,
        maxAttempts: e.SEAM_WEBHOOK_MAX_ATTEMPTS,
        retryBaseMs: e.SEAM_WEBHOOK_RETRY_BASE_MS,
        retryMaxMs: e.SEAM_WEBHOOK_RETRY_MAX_MS,
      },
    },
    legacy: legacyConfig(e, cleaned),
    ...shadowConfig(e),
    proposals: {
      policyFile: path.resolve(e.SEAM_POLICY_FILE),
      ...(e.SEAM_GO_LIVE ? { goLive: e.SEAM_GO_LIVE } : {}),
      ...(e.SEAM_WRITE_CREDENTIALS_FILE
        ? { writeCredentialsFile: path.resolve(e.SEAM_WRITE_CREDENTIALS_FILE) }
        : {}),
      jobs: e.SEAM_PROPOSAL_JOBS,
    },
    ingest: {
      ...(e.SEAM_INGEST_DROP_DIR
        ? { dropDir: path.resolve(e.SEAM_INGEST_DROP_DIR) }
        : dataDir !== 'memory://'
          ? { dropDir: path.join(dataDir, 'drop') }
          : {}),
      watch: e.SEAM_INGEST_WATCH,
      stableMs: e.SEAM_INGEST_STABLE_MS,
      maxBadShare: e.SEAM_INGEST_MAX_BAD_SHARE,
      maxLineBytes: e.SEAM_INGEST_MAX_LINE_BYTES,
      scanIntervalMs: e.SEAM_INGEST_SCAN_INTERVAL_MS,
    },
    dataDir,
  };
}

function shadowConfig(e: Env): Pick<Config, 'shadow'> {
  if ((e.SEAM_SHADOW_USERNAME === undefined) !== (e.SEAM_SHADOW_PASSWORD === undefined))
    throw new ConfigError([
      {
        variable: 'SEAM_SHADOW_PASSWORD',
        message: 'set SEAM_SHADOW_USERNAME and SEAM_SHADOW_PASSWORD together',
      },
    ]);
  if (!e.SEAM_SHADOW_ADAPTER) return {};
  return {
    shadow: {
      adapter: e.SEAM_SHADOW_ADAPTER,
      ...(e.SEAM_SHADOW_URL ? { url: e.SEAM_SHADOW_URL } : {}),
      ...(e.SEAM_SHADOW_USERNAME !== undefined && e.SEAM_SHADOW_PASSWORD !== undefined
        ? { credentials: { username: e.SEAM_SHADOW_USERNAME, password: e.SEAM_SHADOW_PASSWORD } }
        : {}),
      ...(e.SEAM_SHADOW_RESOURCES ? { resources: list(e.SEAM_SHADOW_RESOURCES) } : {}),
      ignoreFields: list(e.SEAM_SHADOW_IGNORE_FIELDS),
      pageSample: e.SEAM_SHADOW_PAGE_SAMPLE,
      maxPending: e.SEAM_SHADOW_MAX_PENDING,
    },
  };
}

/** SEAM_LEGACY_URL_<SYSTEM> variables, by lower-case system id. */
function legacyUrls(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  const bad: { variable: string; message: string }[] = [];
  for (const [k, v] of Object.entries(env)) {
    const m = /^SEAM_LEGACY_URL_([A-Z0-9_]+)$/.exec(k);
    if (!m || !v) continue;
    if (!/^https?:\/\/[^\s]+$/.test(v))
      bad.push({ variable: k, message: `must be an http(s) URL (got ${JSON.stringify(v)})` });
    else out[m[1]!.toLowerCase().replace(/_/g, '-')] = v;
  }
  if (bad.length) throw new ConfigError(bad);
  return out;
}

function legacyConfig(e: Env, env: Record<string, string | undefined>): Config['legacy'] {
  if ((e.SEAM_LEGACY_USERNAME === undefined) !== (e.SEAM_LEGACY_PASSWORD === undefined))
    throw new ConfigError([
      {
        variable: 'SEAM_LEGACY_PASSWORD',
        message: 'set SEAM_LEGACY_USERNAME and SEAM_LEGACY_PASSWORD together',
      },
    ]);
  const windows = e.SEAM_LEGACY_MAINTENANCE;
  return {
    ...(e.SEAM_ADAPTERS ? { adapters: list(e.SEAM_ADAPTERS) } : {}),
    ...(e.SEAM_LEGACY_URL ? { url: e.SEAM_LEGACY_URL } : {}),
    urls: legacyUrls(env),
    ...(e.SEAM_LEGACY_USERNAME !== undefined && e.SEAM_LEGACY_PASSWORD !== undefined
      ? { credentials: { username: e.SEAM_LEGACY_USERNAME, password: e.SEAM_LEGACY_PASSWORD } }
      : {}),
    overrides: {
      timeoutMs: e.SEAM_LEGACY_TIMEOUT_MS,
      maxConcurrency: e.SEAM_LEGACY_MAX_CONCURRENCY,
      callsPerSecond: e.SEAM_LEGACY_CALLS_PER_SECOND,
      cacheTtlMs: e.SEAM_LEGACY_CACHE_TTL_MS,
      ...(windows === undefined
        ? {}
        : { maintenanceWindows: windows === 'none' ? [] : windows.split(';').map((w) => w.trim()) }),
    },
    poll: e.SEAM_LEGACY_POLL,
    pollAtStart: e.SEAM_LEGACY_POLL_AT_START,
    simulator: { latencyMs: e.SEAM_SIMULATOR_LATENCY_MS, workers: e.SEAM_SIMULATOR_WORKERS },
  };
}
