/**
 * The one shape of a record-change event, whoever learned of the change (a batch file, a SOAP poll,
 * a live read). Type `<system>.<entity>.<change>` (e.g. `erp.account.updated`), subject
 * `<resource>/<key>` (e.g. `accounts/004471`).
 */
import type { NewEvent } from '../events/types.ts';

export type RecordChange = 'created' | 'updated' | 'deleted';

export interface Provenance {
  /** `feed` with file and line, or `soap` with the operation. */
  via: 'feed' | 'soap' | 'api';
  file?: string;
  line?: number;
  feed?: string;
  operation?: string;
  businessDate?: string | null;
}

export interface RecordChangeInput {
  system: string;
  resource: string;
  /** Singular entity name used in the event type, e.g. `account` for resource `accounts`. */
  entity: string;
  key: string;
  change: RecordChange;
  /** For updates: only the fields that changed. */
  changes?: Record<string, { before: unknown; after: unknown }>;
  /** The record after the change (absent for deletes). */
  after?: Record<string, unknown>;
  /** The record before a delete. */
  before?: Record<string, unknown>;
  provenance: Provenance;
  time?: Date;
}

export function recordChangeEvent(c: RecordChangeInput): NewEvent {
  const source =
    c.provenance.via === 'feed'
      ? `${c.system}/feeds/${c.provenance.feed ?? 'unknown'}`
      : `${c.system}/${c.provenance.via}`;
  return {
    source,
    type: `${c.system}.${c.entity}.${c.change}`,
    subject: `${c.resource}/${c.key}`,
    ...(c.time ? { time: c.time } : {}),
    data: {
      system: c.system,
      resource: c.resource,
      key: c.key,
      ...(c.changes ? { changes: c.changes } : {}),
      ...(c.after ? { record: c.after } : {}),
      ...(c.before ? { before: c.before } : {}),
      provenance: c.provenance,
    },
    aggregateType: c.resource,
    aggregateId: c.key,
  };
}
