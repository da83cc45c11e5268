/**
 * Let a handler tell the audit trail which records a request touched, or what input to record in
 * place of the raw request (when the raw request carries personal data the handler knows about):
 *
 *   touch(req, `accounts/${id}`);        // any number of `resource/key` strings
 *   auditInput(req, { accountId: id });  // optional: replaces the recorded params/query/body
 *
 * Both are kept on res.locals and read when the response ends.
 */
import type { Request, Response } from 'express';

const RECORDS = 'seamAuditRecords';
const INPUT = 'seamAuditInput';

function responseOf(x: Request | Response): Response | undefined {
  return 'locals' in x ? (x as Response) : (x as Request).res;
}

export function touch(x: Request | Response, ...records: string[]): void {
  const res = responseOf(x);
  if (!res) return;
  const list = (res.locals[RECORDS] ??= []) as string[];
  for (const r of records) if (list.length < 1000) list.push(r);
}

export function auditInput(x: Request | Response, input: unknown): void {
  const res = responseOf(x);
  if (res) res.locals[INPUT] = { value: input };
}

export function touchedRecords(res: Response): string[] {
  return (res.locals[RECORDS] as string[] | undefined) ?? [];
}

export function explicitInput(res: Response): { value: unknown } | undefined {
  return res.locals[INPUT] as { value: unknown } | undefined;
}
