import dns from 'node:dns';
import { type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { NodeError } from '../node-error';

/**
 * The outbound-address guard of HTTP-calling nodes (SSRF protection, secure by default).
 *
 * Only public unicast addresses may be reached over http(s). Private, loopback, link-local (cloud
 * metadata), unspecified, CGNAT, multicast, reserved and IPv6 forms that embed such an IPv4 address
 * are refused unless the host name or the address matches an entry of `HTTP_ALLOWED_HOSTS`.
 *
 * Host names are checked in {@link createGuardedLookup}, on the addresses DNS returned for the very
 * connection being opened, so a name that re-resolves to another address (DNS rebinding) cannot slip
 * through between a check and the connect. IP literals never reach `lookup`, so
 * {@link assertHostAllowed} checks them up front.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

interface AllowList {
  any: boolean;
  names: Set<string>;
  /** `*.example.com` / `.example.com` entries, stored as `.example.com`. */
  suffixes: string[];
  ranges: [Address, number][];
}

/** IPv6 ranges that carry an IPv4 address in their last 32 bits: the embedded address decides. */
const EMBEDDING_V4 = ['ipv4Mapped', 'rfc6145'];
const IPV4_COMPATIBLE = ipaddr.IPv6.parse('::');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parse('64:ff9b::');

const REASONS: Record<string, string> = {
  private: 'a private',
  loopback: 'a loopback',
  linkLocal: 'a link-local (incl. cloud metadata)',
  uniqueLocal: 'a private (unique local)',
  unspecified: 'an unspecified',
  carrierGradeNat: 'a carrier-grade NAT',
  multicast: 'a multicast',
  broadcast: 'a broadcast',
  reserved: 'a reserved',
};

function normaliseHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/** IPv4-mapped IPv6 addresses are compared as the IPv4 address they map. */
function canonical(addr: Address): Address {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

function parseAllowList(entries: readonly string[]): AllowList {
  const list: AllowList = { any: false, names: new Set(), suffixes: [], ranges: [] };
  for (const raw of entries) {
    const entry = normaliseHost(raw);
    if (!entry) continue;
    if (entry === '*') list.any = true;
    else if (entry.startsWith('*.') || entry.startsWith('.'))
      list.suffixes.push(entry.slice(entry.indexOf('.')));
    else if (entry.includes('/')) {
      try {
        const [addr, bits] = ipaddr.parseCIDR(entry);
        list.ranges.push(
          addr.kind() === 'ipv6' && bits >= 96 && (addr as ipaddr.IPv6).isIPv4MappedAddress()
            ? [canonical(addr), bits - 96]
            : [addr, bits],
        );
      } catch {
        // An invalid CIDR matches nothing: failing closed beats guessing what was meant.
      }
    } else if (ipaddr.isValid(entry)) {
      const addr = canonical(ipaddr.parse(entry));
      list.ranges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else list.names.add(entry);
  }
  return list;
}

function nameAllowed(host: string, list: AllowList): boolean {
  const name = normaliseHost(host);
  return list.any || list.names.has(name) || list.suffixes.some((s) => name.endsWith(s));
}

function addressAllowed(addr: Address, list: AllowList): boolean {
  if (list.any) return true;
  const a = canonical(addr);
  return list.ranges.some(([range, bits]) => range.kind() === a.kind() && a.match(range, bits));
}

/**
 * Why an address may not be reached by default, or `null` for a public unicast address.
 * @param ip - an IPv4 or IPv6 address (an IPv6 zone id is ignored)
 */
export function blockedReason(ip: string): string | null {
  let addr: Address;
  try {
    addr = ipaddr.parse(ip.replace(/^\[(.*)\]$/, '$1'));
  } catch {
    return 'an unparseable';
  }
  if (addr.kind() === 'ipv4') {
    const range = addr.range();
    return range === 'unicast' ? null : (REASONS[range] ?? `a special-purpose (${range})`);
  }
  const v6 = addr as ipaddr.IPv6;
  const range = v6.range();
  const bytes = v6.toByteArray();
  const embedded = (offset: number) => new ipaddr.IPv4(bytes.slice(offset, offset + 4));
  if (EMBEDDING_V4.includes(range) || v6.match(IPV4_COMPATIBLE, 96) || v6.match(NAT64_WELL_KNOWN, 96)) {
    if (range === 'unspecified' || range === 'loopback') return REASONS[range];
    const v4 = embedded(12).toString();
    const inner = blockedReason(v4);
    return inner && `the IPv6 form of ${v4}, ${inner}`;
  }
  if (range === '6to4') {
    const v4 = embedded(2).toString();
    const inner = blockedReason(v4);
    return inner && `the 6to4 form of ${v4}, ${inner}`;
  }
  return range === 'unicast' ? null : (REASONS[range] ?? `a special-purpose (${range})`);
}

function blockedError(host: string, address: string, reason: string): NodeError {
  const shown = host === address ? host : `${host} (resolved to ${address})`;
  return new NodeError(
    `Refusing to connect to ${shown}: ${host === address ? 'it' : address} is ${reason} address. ` +
      `Outbound HTTP may only reach public addresses by default; to allow this one, add ` +
      `"${host}"${host === address ? '' : ` or "${address}"`} (or a CIDR containing it) to HTTP_ALLOWED_HOSTS.`,
    { retryable: false, type: 'AddressBlocked', details: { host, address, reason } },
  );
}

/**
 * Checks what can be checked before DNS: the scheme (http/https only) and, for IP literals, the
 * address itself. Host names are checked after resolution by {@link createGuardedLookup}.
 * @returns the parsed URL
 * @throws NodeError (non-retryable) for a bad URL, another scheme or a refused address
 */
export function assertHostAllowed(url: string | URL, allowedHosts: readonly string[]): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new NodeError(`Invalid URL: ${String(url).slice(0, 200)}`, {
      retryable: false,
      type: 'InvalidUrl',
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new NodeError(`Unsupported URL scheme "${parsed.protocol}": only http: and https: are allowed`, {
      retryable: false,
      type: 'InvalidUrl',
    });
  }
  const host = normaliseHost(parsed.hostname);
  if (!ipaddr.isValid(host)) return parsed;
  const list = parseAllowList(allowedHosts);
  const reason = blockedReason(host);
  if (reason && !nameAllowed(host, list) && !addressAllowed(ipaddr.parse(host), list)) {
    throw blockedError(host, host, reason);
  }
  return parsed;
}

/**
 * The refusal a request to `url` is sure to meet, known before any DNS lookup: an IP literal the
 * guard refuses, or `localhost` (which resolves to loopback), unless `allowedHosts` allows it. The
 * same message a run would fail with; `null` when the URL passes or only DNS can tell (other names,
 * which {@link createGuardedLookup} judges when connecting). Used to warn when a flow is saved.
 */
export function refusalBeforeLookup(url: URL, allowedHosts: readonly string[]): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const host = normaliseHost(url.hostname);
  const list = parseAllowList(allowedHosts);
  if (host === 'localhost' || host.endsWith('.localhost')) {
    const loopback = ['127.0.0.1', '::1'].map((a) => ipaddr.parse(a));
    if (nameAllowed(host, list) || loopback.some((a) => addressAllowed(a, list))) return null;
    return blockedError(host, '127.0.0.1', REASONS.loopback).message;
  }
  if (!ipaddr.isValid(host)) return null;
  const reason = blockedReason(host);
  if (!reason || nameAllowed(host, list) || addressAllowed(ipaddr.parse(host), list)) return null;
  return blockedError(host, host, reason).message;
}

/**
 * A `lookup` for `http.request` / `net.connect` that resolves like `dns.lookup` and then refuses
 * addresses that {@link blockedReason} rejects, unless allowed. With several addresses (`all: true`,
 * used by Node's happy-eyeballs) refused ones are dropped; if none is left the connect fails with
 * the guard's NodeError, which the request emits as its `error`.
 */
export function createGuardedLookup(allowedHosts: readonly string[]): LookupFunction {
  const list = parseAllowList(allowedHosts);
  return (hostname, options, callback) => {
    const trusted = nameAllowed(hostname, list);
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '', undefined);
      let refused: { address: string; reason: string } | undefined;
      const usable = addresses.filter(({ address }) => {
        const reason = trusted ? null : blockedReason(address);
        if (reason && !addressAllowed(ipaddr.parse(address), list)) {
          refused ??= { address, reason };
          return false;
        }
        return true;
      });
      if (!usable.length) {
        const e = refused
          ? blockedError(normaliseHost(hostname), refused.address, refused.reason)
          : Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return callback(e, options.all ? [] : '', undefined);
      }
      if (options.all) return callback(null, usable);
      callback(null, usable[0].address, usable[0].family);
    });
  };
}
