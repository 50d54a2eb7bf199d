// Home networks for the reachability tests, built from Linux network namespaces: a home
// machine behind a router that masquerades (NAT) and drops unsolicited inbound connections,
// with Debian's miniupnpd (NAT-PMP and UPnP-IGD) on the router or none; a router behind a
// provider's carrier-grade NAT (100.64.0.0/10) or behind another NAT (double NAT); an IPv6-only
// home behind a stateful firewall.
// The router's outside faces this machine's root namespace, where the edge runs, through a
// "front" (startFront) that stands in for Cloudflare's: it passes each connection's address as
// CF-Connecting-IP, as Cloudflare does in production. Needs root (or sudo) and the ip, nft
// and miniupnpd commands (.ci/run installs them).

import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ProcessGroup } from "../../../scripts/network/processes.ts";

const exec = promisify(execFile);
/** Root runs the commands as they are; anyone else through sudo (CI machines). */
const SUDO = process.getuid?.() === 0 ? [] : ["sudo", "-n"];

export async function sh(cmd: string, args: string[], input?: string): Promise<string> {
  const [file, ...rest] = [...SUDO, cmd, ...args];
  if (input === undefined) return (await exec(file!, rest)).stdout;
  return new Promise((resolve, reject) => {
    const child = execFile(file!, rest, (e, stdout, stderr) => (e ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr || e.message}`)) : resolve(stdout)));
    child.stdin!.end(input);
  });
}

/** The commands the lab needs, each with why it is missing: a clear failure, never a skip. */
export async function missingTools(): Promise<string[]> {
  const missing: string[] = [];
  for (const [tool, args] of [["ip", ["-V"]], ["nft", ["--version"]], ["miniupnpd", ["--version"]]] as const) {
    try {
      await sh(tool, [...args]);
    } catch (e) {
      // miniupnpd --version exits 0 on Debian; an ENOENT is what counts.
      if ((e as NodeJS.ErrnoException).code === "ENOENT" || /not found|No such file/.test((e as Error).message)) missing.push(tool);
    }
  }
  if (SUDO.length) {
    try {
      await sh("true", []);
    } catch {
      missing.push("root (or passwordless sudo) for ip netns");
    }
  }
  return missing;
}

export type RouterKind =
  /** The router's outside address is public and miniupnpd runs on it. */
  | "upnp"
  /** Like "upnp" with NAT-PMP turned off: UPnP-IGD only. */
  | "upnp-only"
  /** A router with NAT but no NAT-PMP or UPnP. */
  | "plain"
  /** miniupnpd on a router whose outside is a provider's shared space (100.64.0.0/10), behind the provider's NAT. */
  | "cgnat"
  /** miniupnpd on a router with a public-looking outside address that is itself behind another NAT (double NAT). */
  | "double";

export interface Home {
  /** The namespace of the home machine (where the node runs). */
  ns: string;
  router?: string;
  /** This machine's address facing the home's outside: where the front listens. */
  edgeSide: string;
  /** The address the edge sees the home at (the outermost NAT's outside, or the IPv6 host). */
  outside: string;
  /** The router's own outside address, when another NAT sits beyond it. */
  routerOutside?: string;
  /** A command in the home machine's namespace. */
  exec(cmd: string, args: string[]): Promise<string>;
}

export class HomeLab {
  private readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly links: string[] = [];
  private readonly fronts: Server[] = [];
  /** Third octet base: concurrent runs on one machine use different subnets. */
  private readonly base: number;

  private readonly dir: string;
  private readonly group: ProcessGroup;

  constructor(dir: string, group: ProcessGroup) {
    this.dir = dir;
    this.group = group;
    this.prefix = `vn${process.pid % 10_000}`;
    this.base = (process.pid % 40) * 6;
  }

  private async netns(name: string): Promise<string> {
    const ns = `${this.prefix}${name}`;
    await sh("ip", ["netns", "add", ns]);
    this.namespaces.push(ns);
    await sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
    return ns;
  }

  /** A veth pair: `a` (root when ns is undefined) to `b`, each named and addressed. */
  private async veth(a: { ns?: string; name: string; addr: string }, b: { ns: string; name: string; addr: string }): Promise<void> {
    const tmp = `${this.prefix}t${this.links.length}`;
    await sh("ip", ["link", "add", tmp, "type", "veth", "peer", "name", b.name, "netns", b.ns]);
    if (a.ns) await sh("ip", ["link", "set", tmp, "netns", a.ns]);
    else this.links.push(a.name);
    const inA = a.ns ? ["-n", a.ns] : [];
    await sh("ip", [...inA, "link", "set", tmp, "name", a.name]);
    const six = (addr: string) => (addr.includes(":") ? ["nodad"] : []);
    await sh("ip", [...inA, "addr", "add", a.addr, "dev", a.name, ...six(a.addr)]);
    await sh("ip", [...inA, "link", "set", a.name, "up"]);
    await sh("ip", ["-n", b.ns, "addr", "add", b.addr, "dev", b.name, ...six(b.addr)]);
    await sh("ip", ["-n", b.ns, "link", "set", b.name, "up"]);
  }

  private nft(ns: string, ruleset: string): Promise<string> {
    return sh("ip", ["netns", "exec", ns, "nft", "-f", "-"], ruleset);
  }

  /** A router that masquerades its LAN and lets no unsolicited connection in (a home router's defaults). */
  private async routerRules(ns: string): Promise<void> {
    await sh("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    // miniupnpd (nftables backend) adds its forward and DNAT rules to these chains.
    await this.nft(
      ns,
      `table ip homenat {
  chain postrouting { type nat hook postrouting priority 100; oifname "wan" masquerade; }
}
table inet miniupnpd {
  chain forward { type filter hook forward priority 0; policy drop; ct state established,related accept; iifname "lan" accept; }
  chain prerouting { type nat hook prerouting priority -100; policy accept; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; }
}
`,
    );
  }

  async home(index: number, kind: RouterKind): Promise<Home> {
    const n = this.base + index;
    const ns = await this.netns(`h${index}`);
    const router = await this.netns(`r${index}`);
    const edgeSide = `11.77.${n}.1`;
    let outside = `11.77.${n}.2`;
    if (kind === "cgnat" || kind === "double") {
      // The other NAT: its outside faces the edge; the router's outside is shared address
      // space (CGNAT) or an address that looks public but is not what the edge sees.
      const isp = await this.netns(`i${index}`);
      const inner = kind === "cgnat" ? `100.64.${n}` : `11.78.${n}`;
      await this.veth({ name: `${this.prefix}w${index}`, addr: `${edgeSide}/24` }, { ns: isp, name: "wan", addr: `${outside}/24` });
      await this.veth({ ns: isp, name: "lan", addr: `${inner}.1/24` }, { ns: router, name: "wan", addr: `${inner}.2/24` });
      await sh("ip", ["netns", "exec", isp, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
      await this.nft(
        isp,
        `table inet cgn {
  chain postrouting { type nat hook postrouting priority 100; oifname "wan" masquerade; }
  chain forward { type filter hook forward priority 0; policy drop; ct state established,related accept; iifname "lan" accept; }
}
`,
      );
      await sh("ip", ["-n", router, "route", "add", "default", "via", `${inner}.1`]);
    } else {
      await this.veth({ name: `${this.prefix}w${index}`, addr: `${edgeSide}/24` }, { ns: router, name: "wan", addr: `${outside}/24` });
      await sh("ip", ["-n", router, "route", "add", "default", "via", edgeSide]);
    }
    await this.veth({ ns: router, name: "lan", addr: `10.77.${n}.1/24` }, { ns, name: "eth0", addr: `10.77.${n}.2/24` });
    await sh("ip", ["-n", ns, "route", "add", "default", "via", `10.77.${n}.1`]);
    await this.routerRules(router);
    if (kind !== "plain") this.miniupnpd(router, index, kind === "upnp-only");
    const routerOutside = kind === "cgnat" ? `100.64.${n}.2` : kind === "double" ? `11.78.${n}.2` : undefined;
    return { ns, router, edgeSide, outside, routerOutside, exec: (cmd, args) => sh("ip", ["netns", "exec", ns, cmd, ...args]) };
  }

  /** A home with IPv6 only, behind a stateful firewall (no unsolicited inbound), as home routers keep IPv6. */
  async ipv6Home(index: number, firewall = true): Promise<Home> {
    const n = this.base + index;
    const ns = await this.netns(`h${index}`);
    const edgeSide = `fd77:${n.toString(16)}::1`;
    const outside = `fd77:${n.toString(16)}::2`;
    await this.veth({ name: `${this.prefix}w${index}`, addr: `${edgeSide}/64` }, { ns, name: "eth0", addr: `${outside}/64` });
    if (firewall) await this.nft(ns, `table inet homefw {\n  chain input { type filter hook input priority 0; policy accept; iifname "eth0" ct state new tcp flags syn drop; }\n}\n`);
    return { ns, edgeSide, outside, exec: (cmd, args) => sh("ip", ["netns", "exec", ns, cmd, ...args]) };
  }

  private miniupnpd(router: string, index: number, upnpOnly: boolean): void {
    const conf = join(this.dir, `miniupnpd-${index}.conf`);
    writeFileSync(
      conf,
      [
        "ext_ifname=wan",
        "listening_ip=lan",
        "port=0",
        `enable_natpmp=${upnpOnly ? "no" : "yes"}`,
        "enable_upnp=yes",
        "secure_mode=yes",
        "system_uptime=yes",
        `uuid=8f1b3c2e-7a55-4d6e-9c1a-0000000000${String(index).padStart(2, "0")}`,
        `lease_file=${join(this.dir, `miniupnpd-${index}.leases`)}`,
        "upnp_table_name=miniupnpd",
        "upnp_nat_table_name=miniupnpd",
        "upnp_forward_chain=forward",
        "upnp_nat_chain=prerouting",
        "upnp_nat_postrouting_chain=postrouting",
        "allow 1024-65535 10.77.0.0/16 1024-65535",
        "deny 0-65535 0.0.0.0/0 0-65535",
        "",
      ].join("\n"),
    );
    this.group.start(`miniupnpd-${index}`, SUDO[0] ?? "ip", [...SUDO.slice(1), ...(SUDO.length ? ["ip"] : []), "netns", "exec", router, "miniupnpd", "-d", "-f", conf, "-P", join(this.dir, `miniupnpd-${index}.pid`)]);
  }

  /** The router's DNAT rules (miniupnpd's mappings), as nft lists them. */
  routerMappings(home: Home): Promise<string> {
    return sh("ip", ["netns", "exec", home.router!, "nft", "list", "chain", "inet", "miniupnpd", "prerouting"]);
  }

  /**
   * Cloudflare's front, for this home: listens on this machine's side of the home's outside
   * link and passes each request to the edge with the connection's address as CF-Connecting-IP.
   */
  async startFront(home: Home, edgeUrl: string): Promise<string> {
    const target = new URL(edgeUrl);
    const server = createServer((req, res) => {
      const seen = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
      const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host, "cf-connecting-ip": seen } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", (e) => {
        res.writeHead(502);
        res.end(e.message);
      });
      req.pipe(up);
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, home.edgeSide, resolve));
    this.fronts.push(server);
    const port = (server.address() as { port: number }).port;
    return `http://${home.edgeSide.includes(":") ? `[${home.edgeSide}]` : home.edgeSide}:${port}`;
  }

  async cleanup(): Promise<void> {
    for (const s of this.fronts.splice(0)) s.close();
    for (const ns of this.namespaces.splice(0).reverse()) await sh("ip", ["netns", "del", ns]).catch(() => {});
    for (const l of this.links.splice(0)) await sh("ip", ["link", "del", l]).catch(() => {});
  }
}
