/** Webhook subscriptions as stored, and as agents see them. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../../store/types.ts';
import { MAX_TYPE_GLOBS, SubjectPrefix, TypeGlob } from '../filter.ts';
import { logBounds } from '../read.ts';
import { newSecret } from './sign.ts';

export interface DbSubscription {
  id: string;
  owner_id: string;
  owner_name: string;
  url: string;
  types: string[] | null;
  subject_prefix: string | null;
  secret: string;
  status: 'active' | 'parked';
  cursor: number;
  delivered_count: number;
  consecutive_failures: number;
  next_attempt_at: Date;
  locked_by: string | null;
  locked_until: Date | null;
  last_attempt_at: Date | null;
  last_success_at: Date | null;
  last_error: string | null;
  parked_at: Date | null;
  parked_reason: string | null;
  created_at: Date;
}

export interface DbDelivery {
  id: number;
  subscription_id: string;
  position: number;
  event_id: string;
  event_type: string;
  attempt: number;
  outcome: 'delivered' | 'failed';
  http_status: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: Date;
}

export const CreateSubscription = z
  .object({
    url: z.string().min(1).max(2000).meta({ description: 'http(s) URL on a host the operator allowed' }),
    types: z.array(TypeGlob).max(MAX_TYPE_GLOBS).optional().meta({
      description: 'Type globs, e.g. `erp.account.*`; all types when absent',
    }),
    subject: SubjectPrefix.optional().meta({ description: 'Only events whose subject starts with this' }),
    after: z.number().int().min(0).optional().meta({
      description: 'Deliver events after this position; by default only events from now on',
    }),
  })
  .meta({ id: 'WebhookSubscriptionInput' });
export type CreateSubscription = z.infer<typeof CreateSubscription>;

export const Subscription = z
  .object({
    id: z.string(),
    url: z.string(),
    types: z.array(z.string()).nullable(),
    subject: z.string().nullable(),
    status: z.enum(['active', 'parked']),
    cursor: z.number().int().meta({ description: 'Last position delivered (or skipped as not matching)' }),
    deliveredCount: z.number().int(),
    consecutiveFailures: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    lastError: z.string().nullable(),
    parkedAt: z.string().nullable(),
    parkedReason: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookSubscription' });
export type Subscription = z.infer<typeof Subscription>;

export const Delivery = z
  .object({
    position: z.number().int(),
    eventId: z.string(),
    eventType: z.string(),
    attempt: z.number().int(),
    outcome: z.enum(['delivered', 'failed']),
    httpStatus: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
    attemptedAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });
export type Delivery = z.infer<typeof Delivery>;

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function subscriptionFromDb(r: DbSubscription): Subscription {
  return {
    id: r.id,
    url: r.url,
    types: r.types,
    subject: r.subject_prefix,
    status: r.status,
    cursor: r.cursor,
    deliveredCount: r.delivered_count,
    consecutiveFailures: r.consecutive_failures,
    nextAttemptAt: r.status === 'active' ? r.next_attempt_at.toISOString() : null,
    lastAttemptAt: iso(r.last_attempt_at),
    lastSuccessAt: iso(r.last_success_at),
    lastError: r.last_error,
    parkedAt: iso(r.parked_at),
    parkedReason: r.parked_reason,
    createdAt: r.created_at.toISOString(),
  };
}

export function deliveryFromDb(r: DbDelivery): Delivery {
  return {
    position: r.position,
    eventId: r.event_id,
    eventType: r.event_type,
    attempt: r.attempt,
    outcome: r.outcome,
    httpStatus: r.http_status,
    error: r.error,
    durationMs: r.duration_ms,
    attemptedAt: r.attempted_at.toISOString(),
  };
}

export interface Owner {
  id: string;
  name: string;
}

/** Store a new subscription (the URL already checked); returns it with its secret, shown once. */
export async function insertSubscription(
  db: Queryable,
  owner: Owner,
  input: CreateSubscription,
  url: string,
): Promise<{ row: DbSubscription; secret: string }> {
  const cursor = input.after ?? (await logBounds(db)).head;
  const secret = newSecret();
  const r = await db.query<DbSubscription>(
    `INSERT INTO webhook_subscriptions (id, owner_id, owner_name, url, types, subject_prefix, secret, cursor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      randomUUID(),
      owner.id,
      owner.name,
      url,
      input.types && input.types.length > 0 ? input.types : null,
      input.subject ?? null,
      secret,
      cursor,
    ],
  );
  return { row: r.rows[0]!, secret };
}

export async function ownedSubscription(
  db: Queryable,
  ownerId: string,
  id: string,
): Promise<DbSubscription | undefined> {
  const r = await db.query<DbSubscription>(
    'SELECT * FROM webhook_subscriptions WHERE id = $1 AND owner_id = $2',
    [id, ownerId],
  );
  return r.rows[0];
}

export async function listSubscriptions(db: Queryable, ownerId: string): Promise<DbSubscription[]> {
  const r = await db.query<DbSubscription>(
    'SELECT * FROM webhook_subscriptions WHERE owner_id = $1 ORDER BY created_at, id',
    [ownerId],
  );
  return r.rows;
}

export async function deleteSubscription(db: Queryable, ownerId: string, id: string): Promise<boolean> {
  const r = await db.query('DELETE FROM webhook_subscriptions WHERE id = $1 AND owner_id = $2', [
    id,
    ownerId,
  ]);
  return r.rowCount > 0;
}

/** Un-park: deliveries start again from the event that failed. */
export async function resumeSubscription(
  db: Queryable,
  ownerId: string,
  id: string,
): Promise<DbSubscription | undefined> {
  const r = await db.query<DbSubscription>(
    `UPDATE webhook_subscriptions
        SET status = 'active', consecutive_failures = 0, next_attempt_at = now(),
            parked_at = NULL, parked_reason = NULL
      WHERE id = $1 AND owner_id = $2 RETURNING *`,
    [id, ownerId],
  );
  return r.rows[0];
}

export async function recentDeliveries(db: Queryable, id: string, limit: number): Promise<DbDelivery[]> {
  const r = await db.query<DbDelivery>(
    'SELECT * FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id DESC LIMIT $2',
    [id, limit],
  );
  return r.rows;
}
