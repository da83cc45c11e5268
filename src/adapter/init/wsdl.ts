/** The WSDL 1.1 part of a service description: messages, port types, bindings and endpoints. */
import type { LoadedWsdl } from './load.ts';
import { documentation, kid, kids, NS, qkey, qname, WsdlError, type QName, type XmlNode } from './xml.ts';

export type SoapVersion = '1.1' | '1.2';
export type BindingStyle = 'document' | 'rpc';
export type BodyUse = 'literal' | 'encoded';

export interface MessagePart {
  name: string;
  element?: QName;
  type?: QName;
}

export interface Operation {
  name: string;
  doc?: string;
  input?: MessagePart[];
  output?: MessagePart[];
  style: BindingStyle;
  use: BodyUse;
  soapAction?: string;
  /** rpc only: the namespace of the operation wrapper element. */
  rpcNamespace?: string;
}

export interface ServiceDescription {
  /** The definitions' name or, failing that, the service name. */
  name: string;
  targetNamespace: string;
  service: string;
  port: string;
  endpoint: string | undefined;
  soapVersion: SoapVersion;
  /** The binding's default style (operations may override it). */
  style: BindingStyle;
  operations: Operation[];
  /** Other SOAP ports present, for the generated notes. */
  otherPorts: Array<{ service: string; port: string; soapVersion: SoapVersion }>;
}

interface Indexed<T> {
  value: T;
  where: string;
}

/** Pick the SOAP port to generate against (SOAP 1.1 first, as most legacy clients and node-soap prefer). */
export function describeService(loaded: LoadedWsdl): ServiceDescription {
  const messages = new Map<string, Indexed<XmlNode>>();
  const portTypes = new Map<string, Indexed<XmlNode>>();
  const bindings = new Map<string, Indexed<XmlNode>>();
  const services: Array<Indexed<XmlNode>> = [];
  for (const { node, where } of loaded.definitions) {
    const tns = node.attrs.targetNamespace ?? '';
    const add = (map: Map<string, Indexed<XmlNode>>, kind: string) => {
      for (const n of kids(node, NS.wsdl, kind)) {
        if (!n.attrs.name) throw new WsdlError(where, `<wsdl:${kind}> without a name`);
        map.set(qkey({ ns: tns, name: n.attrs.name }), { value: n, where });
      }
    };
    add(messages, 'message');
    add(portTypes, 'portType');
    add(bindings, 'binding');
    for (const s of kids(node, NS.wsdl, 'service')) services.push({ value: s, where });
  }

  const ports: Array<{
    service: string;
    port: string;
    binding: Indexed<XmlNode>;
    version: SoapVersion;
    address?: string;
  }> = [];
  for (const { value: svc, where } of services) {
    for (const port of kids(svc, NS.wsdl, 'port')) {
      if (!port.attrs.binding)
        throw new WsdlError(where, `<wsdl:port name="${port.attrs.name}"> without a binding`);
      const ref = qname(port, port.attrs.binding, where);
      const binding = bindings.get(qkey(ref));
      if (!binding)
        throw new WsdlError(
          where,
          `port "${port.attrs.name}" names binding "${ref.name}", which is not defined`,
        );
      const version = soapVersionOf(binding.value);
      if (!version) continue; // HTTP GET/POST bindings: not SOAP
      const addr = kid(port, version === '1.1' ? NS.soap11 : NS.soap12, 'address');
      ports.push({
        service: svc.attrs.name ?? '',
        port: port.attrs.name ?? '',
        binding,
        version,
        address: addr?.attrs.location,
      });
    }
  }
  // A WSDL without <service> still has bindings: generate against the first SOAP binding.
  if (ports.length === 0) {
    for (const b of bindings.values()) {
      const version = soapVersionOf(b.value);
      if (version) ports.push({ service: '', port: '', binding: b, version });
    }
  }
  const chosen = ports.find((p) => p.version === '1.1') ?? ports[0];
  const mainWhere = loaded.main.where;
  if (!chosen)
    throw new WsdlError(
      mainWhere,
      'no SOAP 1.1 or SOAP 1.2 binding found (HTTP-only bindings are not supported)',
    );

  const { value: binding, where: bWhere } = chosen.binding;
  const soapNs = chosen.version === '1.1' ? NS.soap11 : NS.soap12;
  const soapBinding = kid(binding, soapNs, 'binding')!;
  const style: BindingStyle = soapBinding.attrs.style === 'rpc' ? 'rpc' : 'document';
  if (!binding.attrs.type)
    throw new WsdlError(bWhere, `binding "${binding.attrs.name}" has no type (port type)`);
  const ptRef = qname(binding, binding.attrs.type, bWhere);
  const portType = portTypes.get(qkey(ptRef));
  if (!portType)
    throw new WsdlError(
      bWhere,
      `binding "${binding.attrs.name}" names port type "${ptRef.name}", which is not defined`,
    );

  const parts = (op: XmlNode, dir: 'input' | 'output', where: string): MessagePart[] | undefined => {
    const io = kid(op, NS.wsdl, dir);
    if (!io) return undefined;
    if (!io.attrs.message) throw new WsdlError(where, `operation "${op.attrs.name}" ${dir} has no message`);
    const ref = qname(io, io.attrs.message, where);
    const msg = messages.get(qkey(ref));
    if (!msg)
      throw new WsdlError(
        where,
        `operation "${op.attrs.name}" ${dir} names message "${ref.name}", which is not defined`,
      );
    return kids(msg.value, NS.wsdl, 'part').map((p) => {
      const part: MessagePart = { name: p.attrs.name ?? '' };
      if (p.attrs.element) part.element = qname(p, p.attrs.element, msg.where);
      if (p.attrs.type) part.type = qname(p, p.attrs.type, msg.where);
      if (!part.element && !part.type)
        throw new WsdlError(
          msg.where,
          `message "${msg.value.attrs.name}" part "${part.name}" has neither element nor type`,
        );
      return part;
    });
  };

  const operations: Operation[] = [];
  for (const bop of kids(binding, NS.wsdl, 'operation')) {
    const name = bop.attrs.name ?? '';
    const pop = kids(portType.value, NS.wsdl, 'operation').find((o) => o.attrs.name === name);
    if (!pop) throw new WsdlError(bWhere, `binding operation "${name}" is not in port type "${ptRef.name}"`);
    const soapOp = kid(bop, soapNs, 'operation');
    const inBody = body(bop, 'input', soapNs);
    const outBody = body(bop, 'output', soapNs);
    const use: BodyUse =
      inBody?.attrs.use === 'encoded' || outBody?.attrs.use === 'encoded' ? 'encoded' : 'literal';
    const op: Operation = {
      name,
      style: soapOp?.attrs.style === 'rpc' ? 'rpc' : soapOp?.attrs.style === 'document' ? 'document' : style,
      use,
    };
    const doc = documentation(pop) ?? documentation(bop);
    if (doc) op.doc = doc;
    if (soapOp?.attrs.soapAction) op.soapAction = soapOp.attrs.soapAction;
    if (inBody?.attrs.namespace) op.rpcNamespace = inBody.attrs.namespace;
    const input = parts(pop, 'input', portType.where);
    const output = parts(pop, 'output', portType.where);
    if (input) op.input = input;
    if (output) op.output = output;
    operations.push(op);
  }

  const defs = loaded.definitions[0]!.node;
  return {
    name: defs.attrs.name || chosen.service || 'the legacy system',
    targetNamespace: defs.attrs.targetNamespace ?? '',
    service: chosen.service,
    port: chosen.port,
    endpoint: chosen.address,
    soapVersion: chosen.version,
    style,
    operations,
    otherPorts: ports
      .filter((p) => p !== chosen)
      .map((p) => ({ service: p.service, port: p.port, soapVersion: p.version })),
  };
}

function soapVersionOf(binding: XmlNode): SoapVersion | undefined {
  if (kid(binding, NS.soap11, 'binding')) return '1.1';
  if (kid(binding, NS.soap12, 'binding')) return '1.2';
  return undefined;
}

function body(bop: XmlNode, dir: 'input' | 'output', soapNs: string): XmlNode | undefined {
  const io = kid(bop, NS.wsdl, dir);
  return io ? kid(io, soapNs, 'body') : undefined;
}
