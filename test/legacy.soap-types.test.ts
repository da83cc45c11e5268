/**
 * seam's SOAP transport keeps the legacy system's text where node-soap's defaults would lose it:
 * xs:decimal as text (a float cannot hold every amount), xs:date and xs:dateTime as text (a zone
 * offset must survive), and integers past 2^53 as text. A real soap.listen server from a corpus WSDL.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSoapTransport } from '../src/legacy/soap.ts';
import { soap12Orders, startSoapServer, type SoapServer } from './helpers/adapter-init.ts';
import { TEST_LIMITS } from './helpers/erp.ts';

const WSDL = path.resolve(import.meta.dirname, 'wsdl-corpus/doc-literal/customers.wsdl');

describe('SOAP types seam keeps exact', () => {
  let server: SoapServer;
  before(async () => {
    server = await startSoapServer(WSDL, {
      CustomerService: {
        CustomerServiceSoap: {
          GetCustomer: () => ({
            GetCustomerResult: {
              CustomerId: 'C-1',
              Name: 'Ada',
              Status: 'ACTIVE',
              CreditLimit: '12345678901234567.89',
              Balance: '-0.10',
              OpenedOn: '2009-03-01+01:00',
              LastChange: '2024-01-31T08:00:00.123456+01:00',
              Vip: true,
              LoyaltyPoints: 42,
              Phone: null,
              Addresses: { Address: [] },
            },
          }),
        },
      },
    });
  });
  after(() => server.close());

  it('answers decimals, dates and times as the legacy text, plain ints and booleans as values', async () => {
    const transport = createSoapTransport({
      system: 'crm',
      settings: {
        wsdl: WSDL,
        auth: { kind: 'none' },
        operations: { GetCustomer: 'read' },
        faults: { legacyCode: () => undefined, codes: {} },
        limits: TEST_LIMITS,
      },
      endpoint: server.url,
      timeoutMs: 5_000,
      maxResponseBytes: 1 << 20,
      maxSockets: 2,
    });
    try {
      const r = (await transport('GetCustomer', { customerId: 'C-1' })) as {
        GetCustomerResult: Record<string, unknown>;
      };
      const c = r.GetCustomerResult;
      assert.equal(c.CreditLimit, '12345678901234567.89', 'every digit of the amount');
      assert.equal(c.Balance, '-0.10', 'the trailing zero too');
      assert.equal(c.OpenedOn, '2009-03-01+01:00');
      assert.equal(c.LastChange, '2024-01-31T08:00:00.123456+01:00');
      assert.equal(c.LoyaltyPoints, 42);
      assert.equal(c.Vip, true);
    } finally {
      transport.close();
    }
  });

  it('speaks SOAP 1.2 to a SOAP 1.2 binding when the settings say so', async () => {
    const wsdl = path.resolve(import.meta.dirname, 'wsdl-corpus/soap12/orders.wsdl');
    const seen: string[] = [];
    const box = await startSoapServer(
      wsdl,
      soap12Orders(
        (OrderNumber) => ({
          OrderNumber,
          CustomerId: 'C1',
          State: 'Shipped',
          OrderedAt: '2024-02-01T10:00:00Z',
          Total: '30.00',
          Line: [{ LineNo: 1, Sku: 'A', Quantity: '2', UnitPrice: '15.00' }],
        }),
        (ct) => seen.push(ct),
      ),
    );
    const transport = createSoapTransport({
      system: 'orders',
      settings: {
        wsdl,
        auth: { kind: 'none' },
        soapVersion: '1.2',
        operations: { GetOrder: 'read' },
        faults: { legacyCode: () => undefined, codes: {} },
        limits: TEST_LIMITS,
      },
      endpoint: box.url,
      timeoutMs: 5_000,
      maxResponseBytes: 1 << 20,
      maxSockets: 2,
    });
    try {
      const r = (await transport('GetOrder', { OrderNumber: 'O-9' })) as { Order: Record<string, unknown> };
      assert.equal(r.Order.OrderNumber, 'O-9');
      assert.equal(r.Order.Total, '30.00');
      assert.equal(seen.length, 1);
      assert.match(seen[0]!, /^application\/soap\+xml/, 'a SOAP 1.2 envelope');
    } finally {
      transport.close();
      await box.close();
    }
  });
});
