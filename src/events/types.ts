/** CloudEvents 1.0 (JSON format) as seam stores and serves them. */
export interface NewEvent {
  /** e.g. `erp.accounts`, `erp.feed.ACCOUNTS`, `seam.proposals` */
  source: string;
  /** e.g. `erp.account.updated`, `seam.proposal.approved`, `seam.ingest.file.rejected` */
  type: string;
  /** The record or object it is about, e.g. `accounts/004471`. */
  subject?: string;
  time?: Date;
  data: Record<string, unknown>;
  /** Outbox routing: what kind of thing changed (e.g. `accounts`, `proposal`, `ingest_file`) and which. */
  aggregateType: string;
  aggregateId: string;
}

export interface SeamEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
  /** seam extension: the event's position in the log. */
  position: number;
}

export interface DbEvent {
  position: number;
  id: string;
  source: string;
  type: string;
  subject: string | null;
  time: Date;
  datacontenttype: string;
  data: Record<string, unknown>;
  aggregate_type: string;
  aggregate_id: string;
  recorded_at: Date;
}

export function eventFromDb(r: DbEvent): SeamEvent {
  return {
    specversion: '1.0',
    id: r.id,
    source: r.source,
    type: r.type,
    ...(r.subject ? { subject: r.subject } : {}),
    time: r.time.toISOString(),
    datacontenttype: 'application/json',
    data: r.data,
    position: r.position,
  };
}
