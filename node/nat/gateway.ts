// The default IPv4 gateway, where NAT-PMP asks (RFC 6886: the client's default router). Linux
// lists it in /proc/net/route; elsewhere `route -n get default` (macOS, BSD) says it. Unknown
// gateway: NAT-PMP is skipped and UPnP's discovery (multicast) still runs.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";

/** The gateway of /proc/net/route's default route (hex, little-endian), if any. */
export function gatewayFromProcRoute(text: string): string | undefined {
  for (const line of text.split("\n").slice(1)) {
    const [, destination, gateway, flags] = line.trim().split(/\s+/);
    // RTF_UP | RTF_GATEWAY on the 0.0.0.0 route.
    if (destination !== "00000000" || !gateway || (Number.parseInt(flags ?? "0", 16) & 3) !== 3) continue;
    const n = Number.parseInt(gateway, 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join(".");
  }
  return undefined;
}

export async function defaultGateway(): Promise<string | undefined> {
  if (process.platform === "linux") return gatewayFromProcRoute(await readFile("/proc/net/route", "utf8").catch(() => ""));
  if (process.platform === "darwin" || process.platform.endsWith("bsd")) {
    const out = await new Promise<string>((resolve) => execFile("route", ["-n", "get", "default"], (e, stdout) => resolve(e ? "" : stdout)));
    return /gateway:\s*([0-9.]+)/.exec(out)?.[1];
  }
  return undefined;
}
