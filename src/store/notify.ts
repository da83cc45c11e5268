/**
 * NOTIFY scoped to the store's schema. PostgreSQL channels are database-wide, but a seam
 * installation is one schema: two installations (or two test files) sharing a database must not
 * wake each other with positions or kill signals that mean nothing in their own tables. Every
 * payload is sent as `<schema>|<payload>` and each store's listeners only see their own schema's.
 */
import type { Queryable } from './types.ts';

const SEP = '|';

/** Send `payload` on `channel` to listeners of this schema (delivered at commit). */
export async function notify(db: Queryable, channel: string, payload: string): Promise<void> {
  await db.query(`SELECT pg_notify($1, current_schema() || '${SEP}' || $2)`, [channel, payload]);
}

/** Wrap a listener so it only hears notifications sent from `schema`, with the prefix removed. */
export function schemaListener(schema: string, onPayload: (payload: string) => void) {
  const prefix = schema + SEP;
  return (raw: string): void => {
    if (raw.startsWith(prefix)) onPayload(raw.slice(prefix.length));
  };
}
