// Why a node can or cannot be reached (issue 15 part 1): the edge's dial-back (the same dial a
// challenge makes) with what the node learnt from its gateway (NAT-PMP or UPnP-IGD mapping),
// turned into one verdict and the operator's next step. Pure: the node and the docs share it.

import { parseIp } from "./ip.ts";

export type Reachability = "reachable" | "no_mapping" | "cgnat" | "firewall" | "ipv6_only";

/** What the node's port mapping gave, or why there is none. */
export interface MappingFacts {
  /** "off": mapping disabled (--no-nat); "none": no gateway answered or every request failed. */
  method: "nat-pmp" | "upnp" | "off" | "none";
  /** The gateway's external address, when it said (also when a mapping was refused). */
  externalHost?: string | null;
  externalPort?: number | null;
  internalPort?: number | null;
  /** Why no mapping was made, in the gateway's words. */
  error?: string | null;
  /**
   * The gateway answered but says it has no public outside address (NAT-PMP result 3, as
   * miniupnpd answers when its outside address is private or shared): another NAT is upstream.
   */
  noPublicAddress?: boolean;
}

/** The edge's answer to POST /api/nodes/check (worker/nodes/check.ts). */
export interface CheckAnswer {
  node: string;
  /** What the edge saw of this request (CF-Connecting-IP). */
  seenHost: string;
  /** The registered endpoint, where challenges go: what was dialled. */
  endpoint: { host: string; port: number };
  ok: boolean;
  /** A challenge's verdict ("pass", "fail", "timeout", "refused"), or "open" when the node hosts nothing to challenge and the port answered. */
  verdict: string;
  reason: string;
  /** The torrent challenged, when the node hosts one. */
  infoHash: string | null;
  durationMs: number;
  checkedAt: number;
}

/** What the verdict needs of the edge's answer. */
export interface DialFacts {
  /** The address the edge saw this request come from (CF-Connecting-IP). */
  seenHost: string;
  /** The registered endpoint the edge dialled: where challenges go. */
  endpoint: { host: string; port: number };
  ok: boolean;
  /** The challenge's verdict ("pass", "fail", "timeout", "refused") or "open" for a bare connect. */
  verdict: string;
  reason: string;
}

export interface ReachabilityVerdict {
  verdict: Reachability;
  /** One line: what happened. */
  summary: string;
  /** What the operator does about it (docs/reachability.md says more). */
  advice: string;
}

/** RFC 6598's shared address space for carrier-grade NAT, 100.64.0.0/10. */
export function isCgnatAddress(host: string): boolean {
  const b = parseIp(host);
  return b !== undefined && b.length === 4 && b[0] === 100 && (b[1]! & 0xc0) === 64;
}

export function isIpv6(host: string): boolean {
  const b = parseIp(host);
  return b !== undefined && b.length === 16;
}

/** Same address, IPv4-mapped IPv6 and case forgiven. */
function sameHost(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  return x !== undefined && y !== undefined && x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * The order matters: a passed dial is reachable whatever the mapping says; an IPv6 edge view
 * means no IPv4 path at all; a gateway whose outside is shared space (or not what the edge
 * sees) sits behind another NAT; a mapping the edge still cannot use is a firewall; else no
 * mapping was made.
 */
export function classifyReachability(dial: DialFacts, mapping: MappingFacts): ReachabilityVerdict {
  const port = dial.endpoint.port;
  const ext = mapping.externalHost ?? null;
  if (dial.ok) {
    const v6 = isIpv6(dial.endpoint.host) ? " over IPv6 only: peers without IPv6 cannot reach it" : "";
    return { verdict: "reachable", summary: `the edge dialled ${endpointText(dial.endpoint)} and ${dial.verdict === "open" ? "the port answered" : "the challenge passed"}${v6}`, advice: v6 ? "ask your provider for IPv4 (or a public IPv4 port) so IPv4 peers reach the node too" : "nothing to do" };
  }
  const failed = `the edge could not use ${endpointText(dial.endpoint)} (${dial.verdict}: ${dial.reason})`;
  if (isIpv6(dial.seenHost)) {
    return {
      verdict: "ipv6_only",
      summary: `${failed}; the node reaches the edge over IPv6 only, so it has no IPv4 address for challenges and peers`,
      advice: `open TCP port ${port} to this machine in the router's IPv6 firewall (a "pinhole"), or get IPv4 from your provider (IPv4 without CGNAT, or a forwarded IPv4 port)`,
    };
  }
  if ((ext && (isCgnatAddress(ext) || !sameHost(ext, dial.seenHost))) || mapping.noPublicAddress) {
    const outside = ext
      ? `the router's outside address is ${ext}${isCgnatAddress(ext) ? " (shared carrier-grade NAT space, 100.64.0.0/10)" : ""} but the edge sees ${dial.seenHost}`
      : `the router says it has no public outside address while the edge sees ${dial.seenHost}`;
    return {
      verdict: "cgnat",
      summary: `${failed}; ${outside}: another NAT sits between the router and the internet`,
      advice: "ask your provider for a public IPv4 address (or a forwarded port), or put the router in front of the other NAT (bridge mode on the provider's box); a port forward on your router alone cannot help",
    };
  }
  if (mapping.method === "nat-pmp" || mapping.method === "upnp") {
    return {
      verdict: "firewall",
      summary: `${failed}; the router mapped ${ext ?? "its outside address"}:${mapping.externalPort ?? port} to this machine (${mapping.method}), so a firewall drops the connection`,
      advice: `allow incoming TCP on port ${mapping.internalPort ?? port} in this machine's firewall (ufw, firewalld, Windows Defender) and in any firewall on the router`,
    };
  }
  return {
    verdict: "no_mapping",
    summary: `${failed}; ${mapping.method === "off" ? "port mapping is off (--no-nat)" : `no port mapping was made${mapping.error ? ` (${mapping.error})` : ""}`}`,
    advice: `turn on UPnP or NAT-PMP in the router${mapping.method === "off" ? ' and run "vidya node init --nat"' : ""}, or forward TCP port ${port} on the router to this machine by hand`,
  };
}

function endpointText(e: { host: string; port: number }): string {
  return isIpv6(e.host) ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}
