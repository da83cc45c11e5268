/**
 * Where seam may send webhooks. An agent chooses the URL, so without care a webhook is a way to make
 * seam call anything it can reach (SSRF): the metadata service, the database, the legacy box.
 * Three rules, checked at registration and again, against the addresses actually connected to, at
 * every delivery (a DNS answer can change between the two):
 * 1. http or https only, no credentials in the URL;
 * 2. the host is on the operator's allowlist (SEAM_WEBHOOK_ALLOWED_HOSTS, exact or `*.domain`);
 * 3. every address the host resolves to is public, unless the operator allowed that address or
 *    range (SEAM_WEBHOOK_ALLOWED_ADDRESSES): loopback, private, link-local, CGNAT, multicast and
 *    reserved ranges are refused by default.
 */
import dns from 'node:dns';
import net from 'node:net';
import { Problem } from '../../http/problem.ts';

/** Ranges a webhook must not reach unless explicitly allowed. */
const NON_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
const NON_PUBLIC_V6 = [
  '::/127',
  '64:ff9b::/96',
  '100::/64',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
];

function blockList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [addr, bits] = entry.split('/') as [string, string | undefined];
    const family = net.isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(bits), family);
  }
  return list;
}

const nonPublic = blockList([...NON_PUBLIC_V4, ...NON_PUBLIC_V6]);

export const notAllowed = (code: string, detail: string) =>
  new Problem({ status: 422, code, title: 'Webhook URL not allowed', detail });

/** Thrown at delivery time when the host now resolves to an address that is not allowed. */
export class AddressNotAllowed extends Error {
  readonly code = 'ERR_WEBHOOK_ADDRESS_NOT_ALLOWED';
  constructor(readonly address: string) {
    super(`webhook host resolved to ${address}, which is not allowed`);
    this.name = 'AddressNotAllowed';
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

export class WebhookTargets {
  private readonly allowedAddresses: net.BlockList;

  constructor(
    private readonly allowedHosts: readonly string[],
    allowedAddresses: readonly string[],
  ) {
    this.allowedAddresses = blockList(allowedAddresses);
  }

  /** Is this address one seam may connect to? */
  addressAllowed(address: string): boolean {
    let addr = address;
    let family: 'ipv4' | 'ipv6' = net.isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    // An IPv4-mapped IPv6 address reaches the IPv4 host: judge that.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
    if (mapped) {
      addr = mapped[1]!;
      family = 'ipv4';
    }
    if (this.allowedAddresses.check(addr, family)) return true;
    return !nonPublic.check(addr, family);
  }

  hostAllowed(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    return this.allowedHosts.some((entry) =>
      entry.startsWith('*.')
        ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1
        : host === entry,
    );
  }

  /** Check a URL an agent wants to register; throws a 422 Problem naming the rule it breaks. */
  async check(raw: string): Promise<URL> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw notAllowed('webhook_url_invalid', 'The webhook URL is not a valid absolute URL.');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw notAllowed('webhook_url_invalid', 'Webhook URLs must use http or https.');
    if (url.username || url.password)
      throw notAllowed('webhook_url_invalid', 'Webhook URLs must not carry credentials; use the signature.');
    const host = hostOf(url);
    if (!this.hostAllowed(host))
      throw notAllowed(
        'webhook_host_not_allowed',
        `The host ${host} is not on this seam's webhook allowlist; ask an operator to add it.`,
      );
    let addresses: string[];
    if (net.isIP(host)) addresses = [host];
    else {
      try {
        addresses = (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
      } catch {
        throw notAllowed('webhook_host_unresolvable', `The host ${host} does not resolve.`);
      }
    }
    const bad = addresses.find((a) => !this.addressAllowed(a));
    if (bad)
      throw notAllowed(
        'webhook_address_not_allowed',
        `The host ${host} resolves to ${bad}, a private, loopback or reserved address seam does not call.`,
      );
    return url;
  }

  /**
   * A `lookup` for http.request that refuses disallowed addresses, so the address checked is the
   * address connected to (no window for DNS rebinding between check and connect).
   */
  readonly lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => !this.addressAllowed(a.address));
      if (bad) return callback(new AddressNotAllowed(bad.address), []);
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}
