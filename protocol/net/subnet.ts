// The subnet a node's address belongs to, as the mechanism counts it (DESIGN.md "The
// mechanism"): /24 for IPv4, /48 for IPv6 (an IPv4-mapped IPv6 address is IPv4). A /48 is what
// one site is routinely given (a /64 is one LAN: an attacker gets 65,536 of them with one /48).
// At most one replica per torrent per subnet counts; nodes of one subnet that fault together
// pay a correlation multiplier.

import { parseIp } from "./ip.ts";

/** "a.b.c.0/24", "x:x:x::/48", or the host itself when it is not an IP address. */
export function subnetOf(host: string): string {
  const ip = parseIp(host.replace(/^\[|\]$/g, ""));
  if (!ip) return host.toLowerCase();
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.0/24`;
  const groups = [0, 2, 4].map((i) => ((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return `${groups.join(":")}::/48`;
}
