/**
 * Glossary (the domain words used across seam):
 * - system: one legacy system wrapped by one adapter (e.g. an ERP).
 * - resource: an agent-facing kind of record a system serves (e.g. `accounts`, `items`).
 * - record: the current normalised state of one resource instance, keyed by its legacy key.
 * - feed: a kind of batch file the legacy system drops (e.g. a nightly accounts snapshot).
 * - drop: one file of a feed arriving in the drop folder.
 * - event: one change seam learned (record created/updated/deleted, proposal transition, ingest outcome).
 * - proposal: a write an agent asks for; never carried out by seam in proposal mode.
 * - operator: a human who carries out a proposal by hand in the legacy system.
 * - approver: a human who approves a proposal before an operator may carry it out.
 */

export type RecordSource = 'feed' | 'soap' | 'api';

/** A record as stored (database row shape). */
export interface DbRecord {
  system: string;
  resource: string;
  key: string;
  data: Record<string, unknown>;
  hash: string;
  version: number;
  source: RecordSource;
  source_ref: string | null;
  as_of: Date;
  business_date: string | null;
  updated_at: Date;
  deleted_at: Date | null;
}

/** A record as the areas and APIs see it. */
export interface StoredRecord {
  system: string;
  resource: string;
  key: string;
  data: Record<string, unknown>;
  version: number;
  source: RecordSource;
  sourceRef: string | null;
  asOf: Date;
  businessDate: string | null;
  updatedAt: Date;
  deleted: boolean;
}

export function fromDb(r: DbRecord): StoredRecord {
  return {
    system: r.system,
    resource: r.resource,
    key: r.key,
    data: r.data,
    version: r.version,
    source: r.source,
    sourceRef: r.source_ref,
    asOf: r.as_of,
    businessDate: r.business_date,
    updatedAt: r.updated_at,
    deleted: r.deleted_at !== null,
  };
}
