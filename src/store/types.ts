/**
 * The one small store interface every area uses. Two implementations: PostgreSQL through `pg`
 * (src/store/postgres.ts) and embedded PGlite (src/store/pglite.ts). The SQL is the same for both.
 *
 * Type mapping is made identical on both: int8 → number (positions, counts; safe below 2^53),
 * numeric → string (money never becomes a float), timestamptz → Date, date → 'YYYY-MM-DD' string,
 * json/jsonb → parsed value.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /** One statement, values as $n parameters. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export type StoreKind = 'postgres' | 'pglite';

/**
 * A count of the writes that may have touched a store's database, for a store that sees every one
 * of them: embedded PGlite, whose database one process opens through one Store object. PostgreSQL
 * has none (other processes write there), so nothing may be cached against it.
 *
 * Every statement and transaction run through the store counts as a write (a SELECT too: the store
 * cannot tell what a statement does), except those run through `read`.
 */
export interface WriteGeneration {
  /**
   * The generation now, or undefined while any write is in flight. It changes when a write starts
   * and again when it ends, so two equal answers mean no write ran at any moment in between: an
   * answer read between them is still the database's current state.
   */
  current(): number | undefined;
  /** One statement that does not count as a write. Only for statements that cannot change data. */
  read<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface Store extends Queryable {
  readonly kind: StoreKind;
  readonly schema: string;
  /** Run fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Run fn on one dedicated session (advisory locks held across statements, COPY, LISTEN).
   * On PGlite there is one session; callers must not hold it for long.
   */
  withSession<T>(fn: (session: Queryable) => Promise<T>): Promise<T>;
  /** Subscribe to NOTIFY on a channel; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Cheap round trip used by /readyz. */
  ping(timeoutMs: number): Promise<void>;
  stats(): PoolStats;
  close(): Promise<void>;
  /** Only on a store that sees every write to its database (PGlite); see WriteGeneration. */
  readonly writeGeneration?: WriteGeneration;
}

/** Thrown when the database cannot be reached (as opposed to a query it rejected). */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** PostgreSQL SQLSTATEs that mean "the server is not there for you right now", by name. */
export const UNAVAILABLE_SQLSTATES = {
  connection_exception: '08000',
  connection_does_not_exist: '08003',
  connection_failure: '08006',
  sqlclient_unable_to_establish_sqlconnection: '08001',
  sqlserver_rejected_establishment_of_sqlconnection: '08004',
  admin_shutdown: '57P01',
  crash_shutdown: '57P02',
  cannot_connect_now: '57P03',
  too_many_connections: '53300',
} as const;

/** SQLSTATEs the areas branch on, by name (never by message text). */
export const PG_ERROR = {
  unique_violation: '23505',
  foreign_key_violation: '23503',
  check_violation: '23514',
  serialization_failure: '40001',
  deadlock_detected: '40P01',
  lock_not_available: '55P03',
  raise_exception: 'P0001',
  insufficient_privilege: '42501',
  undefined_table: '42P01',
  duplicate_table: '42P07',
  duplicate_schema: '42P06',
} as const;

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const state = sqlState(err);
  return state !== undefined && (Object.values(UNAVAILABLE_SQLSTATES) as string[]).includes(state);
}

export function assertIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Not a safe SQL identifier: ${name}`);
  return name;
}
