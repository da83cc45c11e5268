/**
 * How `seam adapter init` recognises read operations, keys and names, on a WSDL shaped like a
 * .NET asmx service (SOAP 1.1 and 1.2 ports side by side).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initAdapter, type InitResult } from '../src/adapter/init/generate.ts';
import { scratch, typecheck } from './helpers/adapter-init.ts';

/** A document/literal operation: request and response element contents. */
type Op = { name: string; request: string; response: string };

function asmx(ops: Op[], types: string): string {
  const el = (name: string, body: string) =>
    `<xs:element name="${name}"><xs:complexType><xs:sequence>${body}</xs:sequence></xs:complexType></xs:element>`;
  const bindingOps = (soap: string) =>
    ops
      .map(
        (o) =>
          `<wsdl:operation name="${o.name}"><${soap}:operation soapAction="urn:t/${o.name}"/><wsdl:input><${soap}:body use="literal"/></wsdl:input><wsdl:output><${soap}:body use="literal"/></wsdl:output></wsdl:operation>`,
      )
      .join('');
  return `<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions targetNamespace="urn:t" xmlns:tns="urn:t" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
  xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <wsdl:types><xs:schema targetNamespace="urn:t" elementFormDefault="qualified">${types}
    ${ops.map((o) => el(o.name, o.request) + el(`${o.name}Response`, o.response)).join('\n    ')}
  </xs:schema></wsdl:types>
  ${ops.map((o) => `<wsdl:message name="${o.name}In"><wsdl:part name="parameters" element="tns:${o.name}"/></wsdl:message><wsdl:message name="${o.name}Out"><wsdl:part name="parameters" element="tns:${o.name}Response"/></wsdl:message>`).join('\n  ')}
  <wsdl:portType name="Svc">${ops.map((o) => `<wsdl:operation name="${o.name}"><wsdl:input message="tns:${o.name}In"/><wsdl:output message="tns:${o.name}Out"/></wsdl:operation>`).join('')}</wsdl:portType>
  <wsdl:binding name="SvcSoap12" type="tns:Svc"><soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/>${bindingOps('soap12')}</wsdl:binding>
  <wsdl:binding name="SvcSoap" type="tns:Svc"><soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>${bindingOps('soap')}</wsdl:binding>
  <wsdl:service name="Svc">
    <wsdl:port name="SvcSoap12" binding="tns:SvcSoap12"><soap12:address location="http://box.invalid/svc.asmx"/></wsdl:port>
    <wsdl:port name="SvcSoap" binding="tns:SvcSoap"><soap:address location="http://box.invalid/svc.asmx"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>`;
}

const types = `
    <xs:complexType name="User"><xs:sequence>
      <xs:element name="UserKey" type="xs:string"/><xs:element name="Login" type="xs:string"/>
      <xs:element name="Paid" type="xs:boolean"/>
    </xs:sequence></xs:complexType>
    <xs:complexType name="Ledger"><xs:sequence>
      <xs:element name="Paid" type="xs:boolean"/><xs:element name="LedgerNo" type="xs:string"/>
      <xs:element name="Balance" type="xs:decimal"/>
    </xs:sequence></xs:complexType>`;

const ops: Op[] = [
  {
    name: 'GetUser',
    request: '<xs:element name="tenant" type="xs:string"/><xs:element name="userKey" type="xs:string"/>',
    response: '<xs:element name="GetUserResult" type="tns:User" minOccurs="0"/>',
  },
  {
    name: 'Settle',
    request: '<xs:element name="id" type="xs:string"/>',
    response: '<xs:element name="ok" type="xs:boolean"/>',
  },
  {
    name: 'Listen',
    request: '<xs:element name="id" type="xs:string"/>',
    response: '<xs:element name="u" type="tns:User"/>',
  },
  {
    name: 'get_ledger',
    request: '<xs:element name="ledger_no" type="xs:long"/>',
    response: '<xs:element name="ledger" type="tns:Ledger"/>',
  },
  {
    name: 'GetContactDetails',
    request: '<xs:element name="contactId" type="xs:int"/>',
    response:
      '<xs:element name="Contact"><xs:complexType><xs:sequence><xs:element name="ContactId" type="xs:int"/><xs:element name="Email" type="xs:string"/></xs:sequence></xs:complexType></xs:element>',
  },
  { name: 'GetVersion', request: '', response: '<xs:element name="v" type="xs:string"/>' },
  { name: 'FindUser', request: '', response: '<xs:element name="u" type="tns:User"/>' },
];

let work: Awaited<ReturnType<typeof scratch>>;
let result: InitResult;

before(async () => {
  work = await scratch();
  const wsdl = path.join(work.dir, 'svc.wsdl');
  await writeFile(wsdl, asmx(ops, types));
  result = await initAdapter({ wsdl, name: 'box', outDir: path.join(work.dir, 'box') });
});

after(async () => {
  await work?.remove();
});

describe('adapter init: recognising read operations', () => {
  it('takes the SOAP 1.1 port when 1.1 and 1.2 are both offered, and lists the other', async () => {
    assert.equal(result.service.soapVersion, '1.1');
    assert.equal(result.service.port, 'SvcSoap');
    assert.match(
      await readFile(path.join(work.dir, 'box/soap.ts'), 'utf8'),
      /also offers: Svc\/SvcSoap12 \(SOAP 1\.2\)/,
    );
  });

  it('reads verbs as words: Settle and Listen are writes, get_ledger is a read', () => {
    assert.deepEqual(
      result.operations.map((o) => [o.name, o.read]),
      [
        ['GetUser', true],
        ['Settle', false],
        ['Listen', false],
        ['get_ledger', true],
        ['GetContactDetails', true],
        ['GetVersion', true],
        ['FindUser', true],
      ],
    );
  });

  it('says why a read-looking operation gave no resource', () => {
    assert.deepEqual(
      result.operations.filter((o) => o.skipped).map((o) => [o.name, o.skipped]),
      [
        ['GetVersion', 'its answer holds no record (no complex type found)'],
        ['FindUser', 'returns one record but takes no key parameter'],
      ],
    );
  });

  it('picks the key parameter by name among several, and the matching field, not "Paid"', () => {
    const users = result.resources.find((r) => r.entity === 'User');
    const ledgers = result.resources.find((r) => r.entity === 'Ledger');
    assert.deepEqual(users, {
      name: 'box-users',
      entity: 'User',
      key: 'UserKey',
      get: 'GetUser',
      others: [],
    });
    assert.deepEqual(ledgers, {
      name: 'ledgers',
      entity: 'Ledger',
      key: 'LedgerNo',
      get: 'get_ledger',
      others: [],
    });
  });

  it('names a record of an anonymous type after its element', () => {
    const contacts = result.resources.find((r) => r.get === 'GetContactDetails');
    assert.deepEqual(contacts, {
      name: 'contacts',
      entity: 'Contact',
      key: 'ContactId',
      get: 'GetContactDetails',
      others: [],
    });
  });

  it('writes an adapter that type-checks, placeholders and all', async () => {
    const { code, output } = await typecheck(work.dir);
    assert.equal(code, 0, output);
  });

  it('passes a numeric key as a number and leaves unknown required parameters marked', async () => {
    const text = await readFile(path.join(work.dir, 'box/resources.ts'), 'utf8');
    assert.match(text, /legacy\.call\('get_ledger', \{ ledger_no: Number\(key\) \}\)/);
    assert.match(text, /legacy\.call\('GetUser', \{ tenant: '' \/\* TODO \*\/, userKey: key \}\)/);
  });
});
