/**
 * ACME ERP (2009): the accounts-and-inventory system the demo wraps. Everything seam knows about it
 * is declared here and in the files beside it; src/ reads it only through the adapter contract.
 */
import { defineAdapter } from '../../src/adapter/types.ts';
import { proposalTypes } from './proposals.ts';
import { feeds } from './feeds.ts';
import { accounts, items, orders } from './resources.ts';
import { simulator } from './simulator/index.ts';
import { soapSettings } from './soap.ts';

export default defineAdapter({
  system: 'erp',
  title: 'ACME ERP (2009)',
  scope: {
    systemOfRecord:
      'ACME ERP is the system of record; on any disagreement the ERP wins and seam re-reads it.',
    readScope:
      'Customer accounts (balances, credit limits, status, contact details), stock items and sales orders.',
    writeScope:
      'None directly: agents propose credit-limit, account-status, stock and credit-note changes; operators carry them out in the ERP.',
    escalation: 'ERP application support on call (erp-support@acme.example, +44 1632 960000).',
  },
  soap: soapSettings,
  resources: [accounts, items, orders],
  simulator,
  feeds,
  proposalTypes,
});
