// The outbound guard: HookRelay resolves DNS itself and refuses to connect to loopback, private,
// link-local (incl. 169.254.169.254, the cloud metadata address), CGNAT, multicast, unspecified,
// reserved and the IPv6 equivalents, unless the operator allows them. The check runs inside the
// socket's DNS lookup, so the address that was checked is the address connected to (no DNS
// rebinding window), and once more for IP-literal URLs, which skip DNS.
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export type AllowRule = { all: true } | { all: false; cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][] };

export class BlockedAddressError extends Error {
  readonly code = 'EHOOKRELAY_BLOCKED';
}

export function parseAllowRule(raw: string | undefined): AllowRule {
  if (!raw || raw === 'false') return { all: false, cidrs: [] };
  if (raw === 'true') return { all: true };
  const cidrs = raw.split(',').map((s) => s.trim()).filter(Boolean).map((c) => {
    try {
      return c.includes('/') ? ipaddr.parseCIDR(c) : ([ipaddr.parse(c), ipaddr.parse(c).kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number]);
    } catch {
      throw new Error(`HOOKRELAY_ALLOW_PRIVATE_TARGETS: "${c}" is not an IP address or CIDR`);
    }
  });
  return { all: false, cidrs };
}

/** Why an address may not be contacted, or null when it may. */
export function blockReason(address: string, allow: AllowRule): string | null {
  if (allow.all) return null;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return `"${address}" is not an IP address`;
  }
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  // IPv4-compatible IPv6 (::a.b.c.d, deprecated since 2006): ipaddr.js calls ::7f00:1 unicast,
  // and a stack that still routes the form reaches 127.0.0.1 (fuzzing, 2026-12-07).
  // (:: and ::1 stay IPv6: their own ranges, and an allow rule naming ::1 still matches it. ::2
  // to ::ffff are 0.0.0.2 to 0.0.255.255 that way, "this network": they passed as unicast,
  // security audit 2026-12-08.)
  else if (ip.kind() === 'ipv6' && isIpv4Compatible(ip as ipaddr.IPv6)) ip = ipaddr.IPv4.parse(ipv4Of(ip as ipaddr.IPv6));
  for (const [net, bits] of allow.cidrs) {
    if (net.kind() === ip.kind() && ip.match([net, bits] as any)) return null;
  }
  const range = ip.range();
  return range === 'unicast' ? null : `address ${address} is in a ${range} range, which outbound delivery may not reach (HOOKRELAY_ALLOW_PRIVATE_TARGETS)`;
}

/** ::a.b.c.d (the first 96 bits zero), but for :: and ::1. */
function isIpv4Compatible(ip: ipaddr.IPv6): boolean {
  const p = ip.parts;
  return p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7] > 1);
}

/** The IPv4 address in an IPv6 address's last 32 bits. */
function ipv4Of(ip: ipaddr.IPv6): string {
  const [hi, lo] = ip.parts.slice(6);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A drop-in for dns.lookup for net/tls connect options that refuses blocked addresses. */
export function guardedLookup(allow: AllowRule) {
  return (hostname: string, options: dns.LookupOptions | LookupCallback, maybeCallback?: LookupCallback) => {
    const callback = (typeof options === 'function' ? options : maybeCallback) as LookupCallback;
    const opts = (typeof options === 'function' ? {} : options) as dns.LookupOptions;
    dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as dns.LookupAddress[];
      // Refuse the name outright if any of its addresses is blocked: a name that mixes public and
      // private addresses is the shape of a rebinding attack.
      // The message names neither the address nor its range: webhook users read it, and it told
      // them what internal names resolve to without a request ever being sent (security audit,
      // 2026-12-08). An IP literal's refusal names it: the user wrote it.
      for (const a of list) {
        if (blockReason(a.address, allow)) return callback(new BlockedAddressError(`${hostname} resolves to an address that outbound delivery may not reach (private, loopback, link-local, metadata or another reserved range; HOOKRELAY_ALLOW_PRIVATE_TARGETS)`), '');
      }
      if (!list.length) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      if (opts.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** For URLs whose host is an IP literal, which never go through lookup. */
export function checkLiteralHost(hostname: string, allow: AllowRule): string | null {
  const host = hostname.replace(/^\[|\]$/g, '');
  return net.isIP(host) ? blockReason(host, allow) : null;
}
