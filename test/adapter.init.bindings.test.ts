/**
 * `seam adapter init` on the SOAP binding styles found in the wild: document/literal wrapped,
 * rpc/literal, rpc/encoded with SOAP-encoded arrays, and SOAP 1.2.
 * For each WSDL of test/wsdl-corpus/: the generated resources and zod schemas, and a live round
 * trip: a real node-soap server (`soap.listen`) from the same WSDL, called through node-soap's
 * client by the generated fetch code, each answer validated with the generated record schema.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkAdapter } from '../src/adapter/registry.ts';
import {
  generate,
  lintFindings,
  live,
  scratch,
  soap12Orders,
  soapCaller,
  startSoapServer,
  typecheck,
  unformatted,
  type Generated,
} from './helpers/adapter-init.ts';

const STYLES = {
  crm: 'doc-literal/customers.wsdl',
  inventory: 'rpc-literal/inventory.wsdl',
  library: 'rpc-encoded/library.wsdl',
  orders: 'soap12/orders.wsdl',
} as const;

let work: Awaited<ReturnType<typeof scratch>>;
const generated = new Map<keyof typeof STYLES, Generated>();

function get(name: keyof typeof STYLES): Generated {
  const g = generated.get(name);
  assert.ok(g, `${name} was generated`);
  return g;
}

before(async () => {
  work = await scratch();
  for (const [name, file] of Object.entries(STYLES))
    generated.set(name as keyof typeof STYLES, await generate(work.dir, name, file));
});

after(async () => {
  await work?.remove();
});

describe('adapter init: the generated adapters', () => {
  it("pass the registry's adapter check", () => {
    for (const [name, g] of generated) assert.doesNotThrow(() => checkAdapter(g.adapter, name));
  });

  it('type-check with tsc (strict, as the project compiles adapters/)', async () => {
    const { code, output } = await typecheck(work.dir);
    assert.equal(code, 0, output);
  });

  it('are formatted and lint-clean with the project settings', async () => {
    assert.deepEqual(await unformatted(work.dir, Object.keys(STYLES)), []);
    assert.deepEqual(await lintFindings(work.dir), []);
  });

  it('marks the places a human decides with TODO', async () => {
    const text = await readFile(path.join(work.dir, 'crm', 'resources.ts'), 'utf8');
    assert.match(text, /TODO: map the SOAP fields of a Customer/);
    assert.match(await readFile(path.join(work.dir, 'crm', 'index.ts'), 'utf8'), /TODO: the four-line scope/);
    assert.match(await readFile(path.join(work.dir, 'crm', 'soap.ts'), 'utf8'), /TODO: .*error code/);
  });
});

describe('adapter init: document/literal wrapped (SOAP 1.1)', () => {
  it('finds one resource with a get and a paged, changed-since list, and classifies the write', () => {
    const g = get('crm');
    assert.deepEqual(g.result.resources, [
      {
        name: 'customers',
        entity: 'Customer',
        key: 'CustomerId',
        get: 'GetCustomer',
        list: 'ListCustomers',
        others: [],
      },
    ]);
    assert.deepEqual(g.adapter.soap!.operations, {
      GetCustomer: 'read',
      ListCustomers: 'read',
      UpdateCustomerStatus: 'write',
    });
    assert.deepEqual(g.result.service, {
      service: 'CustomerService',
      port: 'CustomerServiceSoap',
      endpoint: 'http://crm.example.invalid/CustomerService.asmx',
      soapVersion: '1.1',
      style: 'document',
      use: 'literal',
    });
    const r = g.resource('customers');
    assert.equal(r.key, 'CustomerId');
    assert.deepEqual([...r.sensitive], ['Email', 'Phone', 'Addresses']);
    assert.deepEqual([...r.filterable], ['Status', 'Vip']);
    assert.ok(r.fetchPage, 'a list operation gives fetchPage');
    assert.deepEqual(r.poll, { cron: '*/15 * * * *', pageSize: 100 });
  });

  const valid = {
    CustomerId: 'C-1',
    Name: 'Ada',
    Status: 'ACTIVE',
    CreditLimit: '15000.50',
    Balance: '-12.00',
    OpenedOn: '2009-03-01',
    LastChange: '2024-01-31T08:00:00.000Z',
    Vip: true,
    LoyaltyPoints: 42,
    Phone: null,
    Tags: [],
    Addresses: { Address: [{ Street: 'Main 1', City: 'Bern' }] },
  };

  it('record schema: enum, decimal strings, ISO dates, optional and nillable fields, arrays', () => {
    const { Customer } = get('crm').records;
    assert.ok(Customer);
    assert.deepEqual(Customer.parse(valid), valid);
    assert.equal(Customer.safeParse({ ...valid, Email: 'a@b.example' }).success, true, 'Email is optional');
    assert.equal(Customer.safeParse({ ...valid, Status: 'DORMANT' }).success, false, 'enum');
    assert.equal(
      Customer.safeParse({ ...valid, CreditLimit: 15000.5 }).success,
      false,
      'decimal is a string',
    );
    assert.equal(Customer.safeParse({ ...valid, CreditLimit: '15,000' }).success, false, 'decimal text');
    assert.equal(Customer.safeParse({ ...valid, OpenedOn: '01.03.2009' }).success, false, 'date');
    assert.equal(Customer.safeParse({ ...valid, LoyaltyPoints: 1.5 }).success, false, 'integer');
    assert.equal(
      Customer.safeParse({ ...valid, Phone: undefined }).success,
      false,
      'nillable is not optional',
    );
    const { Name: _, ...noName } = valid;
    assert.equal(Customer.safeParse(noName).success, false, 'required field');
  });

  it('wire schema reads what node-soap gives: numbers and Dates, single elements, xsi:nil', () => {
    const { CustomerSoap } = get('crm').schemas;
    const parsed = CustomerSoap!.parse({
      ...valid,
      CreditLimit: 15000.5,
      OpenedOn: new Date('2009-03-01T00:00:00Z'),
      LastChange: '2024-01-31T09:00:00+01:00',
      Vip: 'true',
      LoyaltyPoints: '42',
      Phone: { attributes: { 'xsi:nil': 'true' } },
      Tags: 'solo',
      Addresses: { Address: { Street: 'Main 1', City: 'Bern' } },
    }) as Record<string, unknown>;
    assert.equal(parsed.CreditLimit, '15000.5');
    assert.equal(parsed.OpenedOn, '2009-03-01');
    assert.equal(parsed.LastChange, '2024-01-31T08:00:00.000Z');
    assert.equal(parsed.Vip, true);
    assert.equal(parsed.LoyaltyPoints, 42);
    assert.equal(parsed.Phone, null);
    assert.deepEqual(parsed.Tags, ['solo']);
    assert.deepEqual(parsed.Addresses, { Address: [{ Street: 'Main 1', City: 'Bern' }] });
    assert.equal(CustomerSoap!.safeParse({ ...valid, Balance: 'abc' }).success, false);
  });

  it('reads one customer and pages through a live soap.listen server', async () => {
    const g = get('crm');
    const customer = (id: string) => ({
      ...valid,
      CustomerId: id,
      Phone: '+41 31 000 00 00',
      Tags: ['a', 'b'],
      Email: 'ada@example.com',
    });
    const calls: unknown[] = [];
    const { legacy, server } = await live(g, {
      CustomerService: {
        CustomerServiceSoap: {
          GetCustomer: (a: { customerId: string }) =>
            a.customerId === 'NOPE' ? {} : { GetCustomerResult: customer(a.customerId) },
          ListCustomers: (a: { page: number; pageSize: number }) => {
            calls.push(a);
            const ids = Number(a.page) === 1 ? ['C1', 'C2'] : ['C3'];
            return { ListCustomersResult: { Customer: ids.map(customer) } };
          },
        },
      },
    });
    try {
      const r = g.resource('customers');
      const one = r.schema.parse(await r.fetchOne(legacy, 'C7')) as Record<string, unknown>;
      assert.equal(one.CustomerId, 'C7');
      assert.equal(one.CreditLimit, '15000.50', 'decimal text kept exactly');
      assert.equal(one.Phone, '+41 31 000 00 00');
      assert.deepEqual(one.Tags, ['a', 'b']);
      assert.equal(await r.fetchOne(legacy, 'NOPE'), undefined, 'an empty answer is "not found"');

      const first = await r.fetchPage!(legacy, { pageSize: 2 });
      assert.deepEqual(
        first.records.map((x) => (r.schema.parse(x) as { CustomerId: string }).CustomerId),
        ['C1', 'C2'],
      );
      assert.equal(first.next, '2');
      const second = await r.fetchPage!(legacy, {
        pageSize: 2,
        cursor: first.next!,
        changedSince: new Date(0),
      });
      assert.deepEqual(
        second.records.map((x) => (x as { CustomerId: string }).CustomerId),
        ['C3'],
      );
      assert.equal(second.next, undefined, 'a short page is the last');
      const asked = calls[1] as { page: number; pageSize: number; changedSince: Date };
      assert.equal(Number(asked.page), 2);
      assert.equal(Number(asked.pageSize), 2);
      assert.equal(new Date(asked.changedSince).toISOString(), '1970-01-01T00:00:00.000Z');
    } finally {
      await server.close();
    }
  });

  it('also validates node-soap answers read with its default options (decimals as numbers)', async () => {
    const g = get('crm');
    const server = await startSoapServer(g.wsdl, {
      CustomerService: {
        CustomerServiceSoap: {
          GetCustomer: () => ({ GetCustomerResult: { ...valid, CreditLimit: '0.10' } }),
        },
      },
    });
    try {
      const legacy = await soapCaller(g.wsdl, server.url, {});
      const one = g.resource('customers').schema.parse(await g.resource('customers').fetchOne(legacy, 'C1'));
      assert.equal((one as { CreditLimit: string }).CreditLimit, '0.1');
      assert.equal((one as { OpenedOn: string }).OpenedOn, '2009-03-01');
    } finally {
      await server.close();
    }
  });
});

describe('adapter init: rpc/literal', () => {
  const part = {
    partNumber: 'P-100',
    description: 'Hex bolt',
    unit: 'EA',
    unitCost: '0.0450',
    onHand: 1200,
    discontinued: false,
  };

  it('reads parameters from message parts and finds the key part', () => {
    const g = get('inventory');
    assert.deepEqual(g.result.resources, [
      { name: 'parts', entity: 'Part', key: 'partNumber', get: 'getPart', list: 'findParts', others: [] },
    ]);
    assert.equal(g.result.service.style, 'rpc');
    assert.equal(g.adapter.soap!.operations.adjustStock, 'write');
    const { Part } = g.records;
    assert.deepEqual(Part!.parse(part), part);
    assert.equal(Part!.safeParse({ ...part, unit: 'LB' }).success, false);
    assert.equal(Part!.safeParse({ ...part, onHand: '1200' }).success, false);
  });

  it('round-trips through a live rpc/literal server', async () => {
    const g = get('inventory');
    const asked: Array<{ query: string; maxResults: number }> = [];
    const { legacy, server } = await live(g, {
      InventoryService: {
        InventoryPort: {
          getPart: (a: { partNumber: string }) => ({ part: { ...part, partNumber: a.partNumber } }),
          findParts: (a: { query: string; maxResults: number }) => {
            asked.push(a);
            return {
              parts: { part: [part, { ...part, partNumber: 'P-101', lastCounted: '2023-12-31T23:00:00Z' }] },
            };
          },
        },
      },
    });
    try {
      const r = g.resource('parts');
      const one = r.schema.parse(await r.fetchOne(legacy, 'P-9')) as typeof part;
      assert.equal(one.partNumber, 'P-9');
      assert.equal(one.unitCost, '0.0450');
      assert.equal(one.onHand, 1200);
      const page = await r.fetchPage!(legacy, { pageSize: 50 });
      assert.deepEqual(
        page.records.map((x) => r.schema.parse(x)).map((x) => (x as typeof part).partNumber),
        ['P-100', 'P-101'],
      );
      assert.equal((page.records[1] as { lastCounted: string }).lastCounted, '2023-12-31T23:00:00.000Z');
      assert.equal(Number(asked[0]!.maxResults), 50, 'the page size goes in maxResults');
    } finally {
      await server.close();
    }
  });
});

describe('adapter init: rpc/encoded with SOAP-encoded arrays (old PHP/Perl style)', () => {
  it('turns soapenc:Array types into arrays of their wsdl:arrayType', () => {
    const g = get('library');
    assert.deepEqual(g.result.resources, [
      { name: 'books', entity: 'Book', key: 'isbn', get: 'getBook', list: 'searchBooks', others: [] },
    ]);
    assert.equal(g.result.service.use, 'encoded');
    const { Book } = g.records;
    const book = {
      isbn: '978-0',
      title: 'Dune',
      price: '9.99',
      published: '1965-08-01',
      copies: 3,
      authors: ['F. H.'],
    };
    assert.deepEqual(Book!.parse(book), book);
    assert.equal(Book!.safeParse({ ...book, authors: 'F. H.' }).success, false);
    const { BookSoap } = g.schemas;
    // PHP servers type every element with xsi:type and wrap array items in <item>.
    const fromPhp = BookSoap!.parse({
      isbn: { attributes: { 'xsi:type': 'xsd:string' }, $value: '978-0' },
      title: { attributes: { 'xsi:type': 'xsd:string' }, $value: 'Dune' },
      price: { attributes: { 'xsi:type': 'xsd:decimal' }, $value: '9.99' },
      published: '1965-08-01',
      copies: { attributes: { 'xsi:type': 'xsd:int' }, $value: '3' },
      authors: { attributes: { 'SOAP-ENC:arrayType': 'xsd:string[1]' }, item: 'F. H.' },
    });
    assert.deepEqual(fromPhp, book);
  });

  it('round-trips through a live rpc/encoded server that types every element like PHP does', async () => {
    const g = get('library');
    const typed = (type: string, value: unknown) => ({ attributes: { 'xsi:type': type }, $value: value });
    const book = (isbn: string) => ({
      isbn: typed('xsd:string', isbn),
      title: typed('xsd:string', 'Dune'),
      price: typed('xsd:decimal', '9.99'),
      published: typed('xsd:date', '1965-08-01'),
      copies: typed('xsd:int', '3'),
      authors: { attributes: { 'SOAP-ENC:arrayType': 'xsd:string[2]' }, item: ['Frank Herbert', 'B. H.'] },
    });
    const { legacy, server } = await live(g, {
      Library: {
        LibraryPort: {
          getBook: (a: { isbn: string }) => ({ return: book(a.isbn) }),
          searchBooks: () => ({
            return: { attributes: { 'SOAP-ENC:arrayType': 'tns:Book[2]' }, item: [book('1'), book('2')] },
          }),
        },
      },
    });
    try {
      const r = g.resource('books');
      const one = r.schema.parse(await r.fetchOne(legacy, '978-0'));
      assert.deepEqual(one, {
        isbn: '978-0',
        title: 'Dune',
        price: '9.99',
        published: '1965-08-01',
        copies: 3,
        authors: ['Frank Herbert', 'B. H.'],
      });
      const page = await r.fetchPage!(legacy, { pageSize: 10 });
      assert.deepEqual(
        page.records.map((x) => (r.schema.parse(x) as { isbn: string }).isbn),
        ['1', '2'],
      );
    } finally {
      await server.close();
    }
  });
});

describe('adapter init: SOAP 1.2 binding', () => {
  it('records SOAP 1.2 and reads an order with repeated lines', () => {
    const g = get('orders');
    assert.equal(g.result.service.soapVersion, '1.2');
    assert.deepEqual(g.result.resources, [
      { name: 'orders', entity: 'Order', key: 'OrderNumber', get: 'GetOrder', others: [] },
    ]);
    assert.equal(g.resource('orders').fetchPage, undefined, 'no list operation, no fetchPage');
    const { Order } = g.records;
    assert.equal(Order!.safeParse({ OrderNumber: 'O1' }).success, false);
  });

  it('round-trips through a live SOAP 1.2 server', async () => {
    const g = get('orders');
    let contentType = '';
    const { legacy, server } = await live(
      g,
      soap12Orders(
        (OrderNumber) => ({
          OrderNumber,
          CustomerId: 'C1',
          State: 'Shipped',
          OrderedAt: '2024-02-01T10:00:00Z',
          Total: '30.00',
          Line: [
            { LineNo: 1, Sku: 'A', Quantity: '2', UnitPrice: '10.00' },
            { LineNo: 2, Sku: 'B', Quantity: '1.5', UnitPrice: '6.66' },
          ],
        }),
        (ct) => (contentType = ct),
      ),
    );
    try {
      const r = g.resource('orders');
      const order = r.schema.parse(await r.fetchOne(legacy, 'O-77')) as {
        OrderNumber: string;
        Line: unknown[];
      };
      assert.equal(order.OrderNumber, 'O-77');
      assert.deepEqual(order.Line[1], { LineNo: 2, Sku: 'B', Quantity: '1.5', UnitPrice: '6.66' });
      assert.match(contentType, /application\/soap\+xml/, 'the client spoke SOAP 1.2');
    } finally {
      await server.close();
    }
  });
});
