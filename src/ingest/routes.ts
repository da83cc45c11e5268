/** GET /v1/ingest/files (the ledger) and GET /v1/ingest/quarantine (bad rows), for operators and agents. */
import { z } from 'zod';
import type { AccessRule } from '../access/types.ts';
import type { AppContext } from '../context.ts';
import { problems } from '../http/problem.ts';
import type { Api } from '../http/route.ts';
import {
  FileQuery,
  IngestFile,
  QuarantineQuery,
  QuarantinedRow,
  getFile,
  listFiles,
  listQuarantine,
} from './ledger.ts';

/** Agents with `read:ingest`, or signed-in operators, admins and auditors. */
const READ_INGEST: AccessRule = {
  anyOf: [{ scope: 'read:ingest' }, { roles: ['operator', 'admin', 'auditor'] }],
};

const FilePage = z
  .object({ files: z.array(IngestFile), next: z.string().optional() })
  .meta({ id: 'IngestFilePage' });
const QuarantinePage = z
  .object({ rows: z.array(QuarantinedRow), next: z.number().optional() })
  .meta({ id: 'QuarantinePage' });

export function ingestRoutes(api: Api, ctx: AppContext): void {
  api.add({
    method: 'get',
    path: '/v1/ingest/files',
    summary: 'The ingest ledger: every file seam looked at, newest first',
    description:
      'Status (applied, duplicate, rejected, flagged), row counts, changes, timings and the reason code of files not applied.',
    tags: ['ingest'],
    access: READ_INGEST,
    query: FileQuery,
    responses: { 200: { description: 'One page of the ledger', schema: FilePage } },
    handler: ({ query }) => listFiles(ctx.store, query),
  });
  api.add({
    method: 'get',
    path: '/v1/ingest/files/:id',
    summary: 'One file of the ingest ledger',
    tags: ['ingest'],
    access: READ_INGEST,
    params: z.object({ id: z.string().uuid() }),
    responses: {
      200: { description: 'The ledger row', schema: IngestFile },
      404: { description: 'No such file' },
    },
    handler: async ({ params }) => {
      const f = await getFile(ctx.store, params.id);
      if (!f) throw problems.notFound(`no ingested file ${params.id}`);
      return f;
    },
  });
  api.add({
    method: 'get',
    path: '/v1/ingest/quarantine',
    summary: 'Bad rows kept back from ingested files',
    description: 'File, line, record key (when readable), field and reason of every quarantined row.',
    tags: ['ingest'],
    access: READ_INGEST,
    query: QuarantineQuery,
    responses: { 200: { description: 'One page of quarantined rows', schema: QuarantinePage } },
    handler: ({ query }) => listQuarantine(ctx.store, query),
  });
}
