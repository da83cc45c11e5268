/**
 * The audit service other areas call (published as `ctx.services.audit`):
 *
 *   record(entry: AuditEntryInput): Promise<void>
 *     Batched; resolves once the entry is stored, never rejects. Fire and forget (`void audit.record(...)`)
 *     when the action need not wait; await it when the answer must not go out before the record.
 *   recordIn(tx: Queryable, ...entries: AuditEntryInput[]): Promise<number[]>
 *     Append inside the caller's transaction, so the action and its record commit together (proposal
 *     transitions, key changes). Call it last, just before commit: it holds the chain's head lock.
 *   flush(): Promise<void>                        write everything queued now
 *   addSensitiveFields(fields: Iterable<string>)  personal-data field names masked in every input
 *   trackRequest(req, principal, decision)        the express-level hook the access gate calls for
 *                                                 every authenticated request (see touch.ts)
 *
 * AuditEntryInput (types.ts): { actor: { kind: 'agent'|'human'|'system', id, name }, action,
 * records?, input?, decision? ('allowed'), reason?, status?, result?, requestId?, at? }.
 * A Principal is an actor as it is.
 */
import type { Request } from 'express';
import type { Principal } from '../access/types.ts';
import type { Queryable } from '../store/types.ts';
import { appendEntries } from './append.ts';
import { routeTemplate } from '../http/route.ts';
import { Masker } from './prepare.ts';
import { explicitInput, touchedRecords } from './touch.ts';
import type { AuditEntryInput } from './types.ts';
import type { AuditWriter } from './writer.ts';

export interface RequestDecision {
  allowed: boolean;
  reason?: string;
}

export interface AuditService {
  record(entry: AuditEntryInput): Promise<void>;
  recordIn(tx: Queryable, ...entries: AuditEntryInput[]): Promise<number[]>;
  flush(): Promise<void>;
  addSensitiveFields(fields: Iterable<string>): void;
  trackRequest(req: Request, principal: Principal, decision: RequestDecision): void;
}

const TRACKED = 'seamAuditTracked';

function requestInput(req: Request): unknown {
  const input: Record<string, unknown> = {};
  if (req.params && Object.keys(req.params).length) input.params = req.params;
  if (req.query && Object.keys(req.query).length) input.query = req.query;
  if (req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD') input.body = req.body;
  return Object.keys(input).length ? input : null;
}

export function auditService(writer: AuditWriter, masker: Masker): AuditService {
  const svc: AuditService = {
    record(entry) {
      return writer.enqueue(masker.prepare(entry));
    },
    recordIn(tx, ...entries) {
      return appendEntries(
        tx,
        entries.map((e) => masker.prepare(e)),
      );
    },
    flush() {
      return writer.flush();
    },
    addSensitiveFields(fields) {
      masker.addSensitiveFields(fields);
    },
    trackRequest(req, principal, decision) {
      const res = req.res;
      if (!res || res.locals[TRACKED]) return;
      res.locals[TRACKED] = true;
      const at = new Date();
      const finish = () => {
        res.off('finish', finish);
        res.off('close', finish);
        const route = routeTemplate(req) ?? req.path;
        const given = explicitInput(res);
        writer.add(
          masker.prepare({
            actor: { kind: principal.kind, id: principal.id, name: principal.name },
            action: `${req.method} ${route}`,
            records: touchedRecords(res),
            input: given ? given.value : requestInput(req),
            decision: decision.allowed ? 'allowed' : 'denied',
            reason: decision.reason,
            status: res.statusCode,
            result: res.writableFinished ? undefined : { aborted: true },
            requestId: req.id === undefined ? undefined : String(req.id),
            at,
          }),
        );
      };
      res.on('finish', finish);
      res.on('close', finish);
    },
  };
  return svc;
}

const defaultMasker = new Masker();

/**
 * Append entries inside a transaction without a running service (CLI commands). Only
 * credential-like fields are masked: keep personal data out of what you pass.
 */
export function recordInTx(tx: Queryable, ...entries: AuditEntryInput[]): Promise<number[]> {
  return appendEntries(
    tx,
    entries.map((e) => defaultMasker.prepare(e)),
  );
}
