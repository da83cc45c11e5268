/**
 * `seam adapter init` on the schema styles found in the wild: imported schemas (xsd:import),
 * included schemas (xsd:include, chameleon), and types extended from base types.
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
  defined,
  generate,
  lintFindings,
  live,
  scratch,
  typecheck,
  unformatted,
  type Generated,
} from './helpers/adapter-init.ts';

const STYLES = {
  billing: 'imported-schema/billing.wsdl',
  hr: 'included-schema/hr.wsdl',
  payroll: 'extension/payroll.wsdl',
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
});

describe('adapter init: imported schemas (xsd:import of separate files)', () => {
  it('follows xsd:import through two files and copies them beside the WSDL', async () => {
    const g = get('billing');
    assert.deepEqual(g.result.resources, [
      {
        name: 'invoices',
        entity: 'Invoice',
        key: 'invoiceNo',
        get: 'GetInvoice',
        list: 'SearchInvoices',
        others: [],
      },
    ]);
    const copied = g.result.files.map((f) => path.relative(path.join(work.dir, 'billing'), f)).sort();
    assert.ok(copied.includes('wsdl/messages.xsd') && copied.includes('wsdl/types.xsd'), copied.join(', '));
    assert.match(await readFile(g.wsdl, 'utf8'), /schemaLocation="messages\.xsd"/);
    const { Invoice } = g.records;
    const inv = {
      invoiceNo: 'I1',
      customerRef: 'C1',
      issued: '2024-01-01',
      currency: 'CHF',
      amount: '100.00',
      paid: false,
    };
    assert.deepEqual(Invoice!.parse(inv), inv);
    assert.equal(Invoice!.safeParse({ ...inv, currency: 'GBP' }).success, false);
  });

  it('pages by offset through a live server that loads the copied schemas', async () => {
    const g = get('billing');
    const invoice = (n: number) => ({
      invoiceNo: `I${n}`,
      customerRef: 'C1',
      issued: '2024-01-01',
      currency: 'EUR',
      amount: `${n}.00`,
      paid: n % 2 === 0,
    });
    const { legacy, server } = await live(g, {
      BillingService: {
        BillingPort: {
          GetInvoice: (a: { invoiceNo: string }) => ({ invoice: invoice(Number(a.invoiceNo.slice(1))) }),
          SearchInvoices: (a: { offset: string; limit: string }) => {
            const start = Number(a.offset);
            const all = [1, 2, 3].map(invoice);
            return { total: 3, invoice: all.slice(start, start + Number(a.limit)) };
          },
        },
      },
    });
    try {
      const r = g.resource('invoices');
      assert.equal((r.schema.parse(await r.fetchOne(legacy, 'I2')) as { amount: string }).amount, '2.00');
      const first = await r.fetchPage!(legacy, { pageSize: 2 });
      assert.equal(first.records.length, 2);
      assert.equal(first.next, '2', 'offset cursor: position of the next record');
      const second = await r.fetchPage!(legacy, { pageSize: 2, cursor: first.next! });
      assert.deepEqual(
        second.records.map((x) => (r.schema.parse(x) as { invoiceNo: string }).invoiceNo),
        ['I3'],
      );
    } finally {
      await server.close();
    }
  });
});

describe('adapter init: included schemas (xsd:include, chameleon)', () => {
  it('resolves types from included files, one without a targetNamespace', () => {
    const g = get('hr');
    assert.deepEqual(g.result.resources, [
      { name: 'staff-members', entity: 'StaffMember', key: 'staffNo', get: 'LookupStaff', others: [] },
    ]);
    const { StaffMember } = g.records;
    const m = {
      staffNo: 7,
      fullName: 'Grace',
      department: { code: 'IT', name: 'IT' },
      grade: 'SENIOR',
      hiredOn: '2001-09-01',
    };
    assert.deepEqual(StaffMember!.parse(m), m);
    assert.equal(StaffMember!.safeParse({ ...m, grade: 'INTERN' }).success, false);
    assert.equal(StaffMember!.safeParse({ ...m, department: { code: 'IT' } }).success, false);
  });

  it('round-trips through a live server with an integer key', async () => {
    const g = get('hr');
    const seen: unknown[] = [];
    const { legacy, server } = await live(g, {
      StaffDirectory: {
        StaffPort: {
          LookupStaff: (a: { staffNo: number }) => {
            seen.push(a.staffNo);
            return {
              member: {
                staffNo: a.staffNo,
                fullName: 'Grace',
                department: { code: 'IT', name: 'Information Technology' },
                grade: 'PRINCIPAL',
                hiredOn: '2001-09-01',
                email: 'grace@example.com',
              },
            };
          },
        },
      },
    });
    try {
      const r = g.resource('staff-members');
      const m = r.schema.parse(await r.fetchOne(legacy, '42')) as {
        staffNo: number;
        department: { name: string };
      };
      assert.equal(m.staffNo, 42);
      assert.equal(m.department.name, 'Information Technology');
      assert.deepEqual(seen.map(Number), [42]);
    } finally {
      await server.close();
    }
  });
});

describe('adapter init: types extended from base types', () => {
  const employee = {
    id: 'E1',
    createdAt: '2020-01-01T00:00:00.000Z',
    givenName: 'Alan',
    familyName: 'Turing',
    employeeNo: 'E-1',
    payType: 'SALARIED',
    salary: { $value: '5000.00', attributes: { currency: 'GBP' } },
    active: true,
  };

  it('flattens two levels of complexContent extension into the record', () => {
    const g = get('payroll');
    assert.deepEqual(
      g.result.resources.map((r) => [r.name, r.key, r.get ?? r.list]),
      [
        ['employees', 'employeeNo', 'GetEmployee'],
        ['org-units', 'code', 'ListOrgUnits'],
      ],
    );
    const { Employee, Person } = g.records;
    assert.deepEqual(Employee!.parse(employee), employee);
    const { id: _, ...noInheritedId } = employee;
    assert.equal(Employee!.safeParse(noInheritedId).success, false, 'inherited field is required');
    assert.equal(Person!.safeParse(employee).success, true, 'an Employee is a Person');
    assert.equal(Employee!.safeParse({ ...employee, salary: { $value: 'lots' } }).success, false);
  });

  it('reads a recursive type', () => {
    const { OrgUnit } = get('payroll').records;
    const tree = {
      code: 'HQ',
      name: 'HQ',
      headcount: 3,
      unit: [{ code: 'R', name: 'R&D', headcount: 2, unit: [] }],
    };
    assert.deepEqual(OrgUnit!.parse(tree), tree);
    assert.equal(OrgUnit!.safeParse({ ...tree, unit: [{ code: 'R' }] }).success, false);
  });

  it('round-trips inherited fields and an attribute through a live server', async () => {
    const g = get('payroll');
    const { legacy, server } = await live(g, {
      PayrollService: {
        PayrollPort: {
          GetEmployee: (a: { employeeNo: string }) => ({
            employee: { ...employee, createdAt: '2020-01-01T00:00:00Z', employeeNo: a.employeeNo },
          }),
          ListOrgUnits: () => ({
            unit: [
              { code: 'HQ', name: 'HQ', headcount: 1, unit: [{ code: 'R', name: 'R&D', headcount: 2 }] },
            ],
          }),
        },
      },
    });
    try {
      const r = g.resource('employees');
      assert.deepEqual(defined(r.schema.parse(await r.fetchOne(legacy, 'E-9'))), {
        ...employee,
        employeeNo: 'E-9',
      });
      const units = g.resource('org-units');
      const page = await units.fetchPage!(legacy, { pageSize: 100 });
      assert.deepEqual(
        page.records.map((x) => units.schema.parse(x)),
        [
          {
            code: 'HQ',
            name: 'HQ',
            headcount: 1,
            unit: [{ code: 'R', name: 'R&D', headcount: 2, unit: [] }],
          },
        ],
      );
      // With no single-record read, fetchOne searches the listing.
      assert.equal(((await units.fetchOne(legacy, 'HQ')) as { name: string }).name, 'HQ');
      assert.equal(await units.fetchOne(legacy, 'NOPE'), undefined);
    } finally {
      await server.close();
    }
  });
});
