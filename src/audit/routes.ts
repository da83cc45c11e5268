/** GET /v1/audit (filters, paging, CSV) and GET /v1/audit/verify, for auditors and admins. */
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { problems } from '../http/problem.ts';
import type { Api } from '../http/route.ts';
import { allMatching, AuditFilter, CSV_HEADER, csvLine, queryAudit } from './query.ts';
import { auditEntry, AuditEntry } from './types.ts';
import { verifyChain } from './verify.ts';

const ListQuery = AuditFilter.extend({
  cursor: z.coerce.number().int().min(0).optional().meta({ description: 'nextCursor of the previous page' }),
  limit: z.coerce.number().int().min(1).default(100),
  order: z.enum(['asc', 'desc']).default('desc'),
  format: z.enum(['json', 'csv']).optional().meta({ description: 'csv: every matching entry, oldest first' }),
});

const AuditPage = z
  .object({ items: z.array(AuditEntry), nextCursor: z.number().int().nullable() })
  .meta({ id: 'AuditPage' });

const VerifyResult = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    headSeq: z.number().int(),
    firstBroken: z.object({ seq: z.number().int(), problem: z.string() }).optional(),
  })
  .meta({ id: 'AuditVerifyResult' });

function checkFilter(f: z.infer<typeof AuditFilter>, tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: f.tz ?? tz });
  } catch {
    throw problems.badRequest(`Unknown time zone: ${f.tz}`);
  }
}

export function auditRoutes(api: Api, ctx: AppContext): void {
  const tz = ctx.config.access.timezone;
  api.add({
    method: 'get',
    path: '/v1/audit',
    summary: 'Search the audit trail (who did what, to which records, when)',
    description:
      'Example: what did agent X do with account 4471 last Tuesday? ' +
      '`/v1/audit?actor=X&record=accounts/4471&from=2026-11-17&to=2026-11-17`. ' +
      'Plain dates are whole days in SEAM_TIMEZONE (or `tz`). `format=csv` or `Accept: text/csv` exports.',
    tags: ['audit'],
    access: { roles: ['auditor', 'admin'] },
    query: ListQuery,
    responses: {
      200: { description: 'A page of entries, newest first', schema: AuditPage },
      400: { description: 'Bad filter (date, time zone)' },
    },
    handler: async ({ query, req, res }) => {
      checkFilter(query, tz);
      const csv =
        query.format === 'csv' ||
        (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
      try {
        if (!csv) {
          const { rows, nextCursor } = await queryAudit(ctx.store, query, query, tz);
          return { items: rows.map(auditEntry), nextCursor };
        }
        // Read the first page before committing to a 200, so a bad filter still gets a problem.
        const rows = allMatching(ctx.store, query, tz);
        const first = await rows.next();
        res.status(200);
        res.setHeader('Content-Type', 'text/csv; charset=utf-8');
        res.setHeader(
          'Content-Disposition',
          `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.csv"`,
        );
        res.write(CSV_HEADER.join(',') + '\r\n');
        if (!first.done) res.write(csvLine(first.value, query.tz ?? tz));
        for await (const r of rows) {
          if (!res.write(csvLine(r, query.tz ?? tz))) await new Promise((ok) => res.once('drain', ok));
        }
        res.end();
        return undefined;
      } catch (err) {
        if (err instanceof RangeError) throw problems.badRequest(err.message);
        throw err;
      }
    },
  });

  api.add({
    method: 'get',
    path: '/v1/audit/verify',
    summary: 'Check the whole hash chain; names the first broken row',
    tags: ['audit'],
    access: { roles: ['auditor', 'admin'] },
    responses: { 200: { description: 'Result of the check', schema: VerifyResult } },
    handler: () => verifyChain(ctx.store),
  });
}
