// Endpoints as the edge sees them, in BEP 23 / BEP 7 compact form: 4 or 16 address bytes
// followed by the port, big-endian. Addresses are parsed by protocol/net/ip.ts.

export { parseIp } from "../../protocol/net/ip.ts";

/** The compact endpoint as a binary string (one char per byte): 6 chars for IPv4, 18 for IPv6. */
export function compactEndpoint(ip: Uint8Array, port: number): string {
  let s = "";
  for (let i = 0; i < ip.length; i++) s += String.fromCharCode(ip[i]!);
  return s + String.fromCharCode(port >> 8, port & 0xff);
}
