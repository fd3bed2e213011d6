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
      if (entry.includes('/')) ranges.push(ipaddr.parseCIDR(entry));
      else {
        const address = ipaddr.parse(entry);
        ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      }
    } catch {
      return `not an IP address or CIDR: ${JSON.stringify(entry)}`;
    }
  }
  if (ranges.length === 0) return 'empty: name at least one address';
  return ranges;
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
