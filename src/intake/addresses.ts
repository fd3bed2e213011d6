/**
 * Address allow-lists (IPs and CIDRs, a comma list) and the sender's address behind at most one
 * proxy. IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, what a dual-stack listener reports) match
 * their IPv4 form.
 */
import ipaddr from 'ipaddr.js';

export type AddressRange = readonly [ipaddr.IPv4 | ipaddr.IPv6, number];

/** The ranges, or a message naming the entry that is not an address or a CIDR. */
export function parseAllowList(text: string): AddressRange[] | string {
  const ranges: AddressRange[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    try {
      if (entry.includes('/')) ranges.push(asIPv4(ipaddr.parseCIDR(entry)));
      else {
        const address = ipaddr.process(entry);
        ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      }
    } catch {
      return `not an IP address or CIDR: ${JSON.stringify(entry)}`;
    }
  }
  if (ranges.length === 0) return 'empty: name at least one address';
  return ranges;
}

/**
 * A range inside `::ffff:0:0/96` as the IPv4 range it maps: a sender's address is matched in its
 * IPv4 form, so `::ffff:34.165.99.0/120` must be `34.165.99.0/24` to ever match.
 */
function asIPv4(range: [ipaddr.IPv4 | ipaddr.IPv6, number]): AddressRange {
  const [address, bits] = range;
  if (address.kind() === 'ipv6' && bits >= 96 && (address as ipaddr.IPv6).isIPv4MappedAddress()) return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  return range;
}

export function addressAllowed(address: string, ranges: readonly AddressRange[]): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return false;
  }
  return ranges.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
}

/**
 * The client's address: the socket's, or with `trustProxy` the last `X-Forwarded-For` hop (the one
 * our proxy appended; anything before it the client may have written itself).
 */
export function clientAddress(socketAddress: string, forwardedFor: string | string[] | undefined, trustProxy: boolean): string {
  if (!trustProxy || forwardedFor === undefined) return socketAddress;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const hops = header.split(',').map((hop) => hop.trim()).filter(Boolean);
  return hops.at(-1) ?? socketAddress;
}
