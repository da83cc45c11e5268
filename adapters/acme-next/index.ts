/**
 * ACME Next: the modern system that replaces ACME ERP (2009). A JSON-over-HTTP API instead of SOAP
 * and batch files, serving the same resources and proposal types, so agents notice nothing when
 * seam is switched over (SEAM_ADAPTERS=acme-next). Before switching, run it in shadow mode beside
 * the ERP (SEAM_SHADOW_ADAPTER=acme-next): docs/adapters.md, "Swapping the legacy system out".
 */
import { defineAdapter } from '../../src/adapter/types.ts';
import { httpSettings } from './http.ts';
import { proposalTypes } from './proposals.ts';
import { accounts, items, orders } from './resources.ts';
import { simulator } from './simulator/index.ts';

export default defineAdapter({
  // The same system id as the ERP adapter: it is what agents see in event types (`erp.account.updated`),
  // records and proposals, and the replacement takes over that role, so it keeps the id.
  system: 'erp',
  title: 'ACME Next',
  scope: {
    systemOfRecord:
      'ACME Next is the system of record; on any disagreement ACME Next wins and seam re-reads it.',
    readScope:
      'Customer accounts (balances, credit limits, status, contact details), stock items and sales orders.',
    writeScope:
      'None directly: agents propose credit-limit, account-status, stock and credit-note changes; operators carry them out in ACME Next.',
    escalation: 'ACME Next platform team on call (next-oncall@acme.example, +44 1632 960100).',
  },
  http: httpSettings,
  resources: [accounts, items, orders],
  simulator,
  // No batch files: ACME Next is read live and by its changed-since listing (polls).
  feeds: [],
  proposalTypes,
});
