// A node at home (issue 15 part 1): real `vidya node start` processes in Linux network
// namespaces behind NAT routers (support/home-network.ts) running Debian's miniupnpd, against
// the real edge (the worker in workerd). The node maps its port (NAT-PMP, or UPnP-IGD),
// registers the outside port, and the edge's challenge comes through the router; `vidya node
// check` names each failure: no mapping, CGNAT (shared space, or double NAT), firewall, IPv6
// only. Needs root or sudo, ip, nft and miniupnpd (.ci/run installs them): missing, the suite
// fails and says what to install.

import { execFile } from "node:child_process";
import { cp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/network/chain.ts";
import { waitFor, type Managed } from "../../scripts/network/processes.ts";
import { makeFixture, type Fixture } from "../../node/testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../../node/testing/edge.ts";
import type { MappingFacts } from "../../protocol/net/reachability.ts";
import type { ReachabilityReport } from "../../node/nat/check.ts";
import { HomeLab, missingTools, type Home, type RouterKind } from "./support/home-network.ts";

const VIDYA = join(ROOT, "bin", "vidya");
const NODE = join(ROOT, "node_modules", ".bin", "node");
const execFileP = promisify(execFile);

interface State {
  address: string;
  port: number;
  endpoint: { host: string; port: number };
  nat: MappingFacts;
  reachability?: ReachabilityReport;
  pid?: number;
}

interface RunningHome {
  home: Home;
  dir: string;
  proc: Managed;
  state: State;
}

describe("a node behind a home router", () => {
  let edge: TestEdge;
  let lab: HomeLab;
  let fx: Fixture;

  beforeAll(async () => {
    const missing = await missingTools();
    if (missing.length) throw new Error(`the NAT tests need ${missing.join(", ")}: apt-get install -y iproute2 nftables miniupnpd (see .ci/run)`);
    // A short check interval: each failure case checks at start and again by `node check`; a
    // dropped dial times out after 3 s, not the edge's 10 (an open one answers in milliseconds).
    edge = await startTestEdge("nat", { vars: { CHALLENGE_ROUNDS: "0", NODE_CHECK_INTERVAL_SECONDS: "2", CHALLENGE_DEADLINE_MS: "3000" } });
    fx = await makeFixture(join(edge.dir, "source"), "Home Movies", [
      { path: "reel1.bin", length: 90_000 },
      { path: "reel2.bin", length: 40_000 },
    ]);
    await edge.publish(fx);
    lab = new HomeLab(edge.dir, edge.group);
  });

  afterAll(async () => {
    await edge?.stop(); // the nodes and miniupnpd first: they clean their rules
    await lab?.cleanup();
  });

  /** `vidya` as root inside the home's namespace; never throws, the exit code is returned. */
  const vidyaIn = async (home: Home, args: string[]) => {
    try {
      const { stdout, stderr } = await execFileP(...sudoIp(home, [VIDYA, ...args]));
      return { code: 0, stdout, stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, stdout: x.stdout, stderr: x.stderr };
    }
  };

  /** A node home holding the fixture's payload, started in the home's namespace; resolves once its start-up check is in state.json. */
  const startNode = async (name: string, home: Home, init: string[] = []): Promise<RunningHome> => {
    const dir = join(edge.dir, name);
    const tracker = await lab.startFront(home, edge.url);
    await cp(join(fx.dataDir, fx.meta.name), join(dir, "data", fx.meta.name), { recursive: true });
    expect((await vidyaIn(home, ["--home", dir, "node", "init", "--tracker", tracker, "--port", "0", "--no-fill", ...init])).code).toBe(0);
    expect((await vidyaIn(home, ["--home", dir, "node", "want", fx.meta.infoHash])).code).toBe(0);
    const [cmd, args] = sudoIp(home, [VIDYA, "--home", dir, "node", "start"]);
    const proc = edge.group.start(name, cmd, args);
    const exited = proc.exited.then((code) => {
      throw new Error(`${name} exited with ${code}; see ${proc.logPath}`);
    });
    exited.catch(() => {});
    const state = await Promise.race([
      waitFor(`${name}'s start-up check`, async () => {
        const s = JSON.parse(await readFile(join(dir, "state.json"), "utf8").catch(() => "{}")) as State;
        return s.reachability ? s : undefined;
      }, 120_000, 500),
      exited,
    ]);
    return { home, dir, proc, state };
  };

  const check = async (n: RunningHome) => {
    const r = await vidyaIn(n.home, ["--home", n.dir, "--json", "node", "check"]);
    return { code: r.code, report: JSON.parse(r.stdout) as ReachabilityReport, stderr: r.stderr };
  };

  const stop = async (n: RunningHome) => {
    process.kill(n.proc.child.pid!, "SIGTERM");
    expect(await n.proc.exited).toBe(0);
  };

  let mapped: RunningHome;

  it("maps its port through miniupnpd's NAT-PMP and passes the edge's challenge through the router (attack: a home node that can never be challenged only loses)", async () => {
    const home = await lab.home(1, "upnp");
    mapped = await startNode("pmp", home);
    const { state } = mapped;
    expect(state.nat).toMatchObject({ method: "nat-pmp", externalHost: home.outside, internalPort: state.port });
    // The edge recorded the router's outside address and the mapped port: where rounds dial.
    expect(state.endpoint).toEqual({ host: home.outside, port: state.nat.externalPort });
    expect(state.reachability).toMatchObject({ verdict: "reachable", dial: { ok: true, verdict: "pass", infoHash: fx.meta.infoHash } });
    expect(await lab.routerMappings(home)).toContain(`dnat ip to 10.77.`);
    // A real round, as the scheduler runs it, passes through the NAT.
    const [t] = await edge.runChallenges(state.address);
    expect(t).toMatchObject({ verdict: "pass", host: home.outside, port: state.nat.externalPort, infoHash: fx.meta.infoHash });
  });

  it("node check says firewall when the router maps the port but the machine drops the dial (attack: a host firewall silently failing every challenge)", async () => {
    await mapped.home.exec("nft", ["add", "table", "inet", "hostfw"]);
    await mapped.home.exec("nft", ["add", "chain", "inet", "hostfw", "input", "{ type filter hook input priority 0; policy accept; }"]);
    await mapped.home.exec("nft", ["add", "rule", "inet", "hostfw", "input", "tcp", "dport", String(mapped.state.port), "drop"]);
    try {
      const { code, report } = await check(mapped);
      expect(code).toBe(1);
      expect(report.verdict).toBe("firewall");
      expect(report.dial.ok).toBe(false);
      expect(report.advice).toContain(String(mapped.state.port));
    } finally {
      await mapped.home.exec("nft", ["delete", "table", "inet", "hostfw"]);
    }
    // node status shows the newest verdict.
    const status = await vidyaIn(mapped.home, ["--home", mapped.dir, "node", "status"]);
    expect(status.stdout).toMatch(/reachable\s+NO \(firewall\)/);
  });

  it("removes the mapping from the router on a clean stop (attack: stale forwards left open on the member's router)", async () => {
    const port = mapped.state.nat.externalPort!;
    expect(await lab.routerMappings(mapped.home)).toContain(`dport ${port}`);
    await stop(mapped);
    expect(await lab.routerMappings(mapped.home)).not.toContain(`dport ${port}`);
  });

  it("falls back to UPnP-IGD when the router has no NAT-PMP, renews the lease before it ends, and replaces an old mapping that points elsewhere", async () => {
    const home = await lab.home(2, "upnp-only");
    // A 4 s lease renewed at half-life: two or more renewals in 7 s, then removed.
    const out = await home.exec(NODE, [join(ROOT, "test", "e2e", "support", "map-port.ts"), "7301", "4", "7000"]);
    const events = out.trim().split("\n").map((l) => JSON.parse(l) as { event: string; line?: string; facts?: MappingFacts });
    expect(events.find((e) => e.event === "mapped")!.facts).toMatchObject({ method: "upnp", externalHost: home.outside, externalPort: 7301 });
    expect(events.filter((e) => e.line?.startsWith("port mapping renewed")).length).toBeGreaterThanOrEqual(2);
    expect(events.some((e) => e.line === "port mapping removed")).toBe(true);
    expect(await lab.routerMappings(home)).not.toContain("dport 7301");

    // An old mapping of this machine holds outside port 7302 for local port 7303 (a run on
    // another port): the node's mapping must end on its own port.
    const stale = home.exec(NODE, [join(ROOT, "test", "e2e", "support", "map-port.ts"), "7302", "60", "8000", "7303"]);
    await waitFor("the node's own mapping of 7302", async () => (/dport 7302 dnat ip to 10\.77\.[0-9]+\.2:7302\b/.test(await lab.routerMappings(home)) ? true : undefined), 15_000, 250);
    const facts = (await stale).trim().split("\n").map((l) => JSON.parse(l) as { event: string; facts?: MappingFacts }).find((e) => e.event === "mapped")!.facts!;
    expect(facts).toMatchObject({ method: "upnp", externalPort: 7302, internalPort: 7302 });
  });

  const failureCase = async (name: string, index: number, kind: RouterKind | "ipv6") => {
    const home = kind === "ipv6" ? await lab.ipv6Home(index) : await lab.home(index, kind);
    const n = await startNode(name, home);
    // What start printed, `node check` confirms (and exits 1).
    const { code, report } = await check(n);
    expect(code).toBe(1);
    expect(report.verdict).toBe(n.state.reachability!.verdict);
    expect(report.dial.ok).toBe(false);
    await stop(n);
    return { home, state: n.state, report };
  };

  it("node check says no_mapping behind a router without NAT-PMP or UPnP, and names the port to forward", async () => {
    const { state, report } = await failureCase("plain", 3, "plain");
    expect(state.nat.method).toBe("none");
    expect(report.verdict).toBe("no_mapping");
    expect(report.advice).toContain(`forward TCP port ${state.port}`);
  });

  it("node check says cgnat when the router's outside is the provider's shared space (attack: an operator forwarding ports that can never work)", async () => {
    const { home, state, report } = await failureCase("cgnat", 4, "cgnat");
    // miniupnpd refuses to map from a shared (100.64.0.0/10) outside address.
    expect(state.nat).toMatchObject({ method: "none", noPublicAddress: true });
    expect(report.dial.seenHost).toBe(home.outside);
    expect(report.verdict).toBe("cgnat");
  });

  it("node check says cgnat when the router maps the port on an outside address the edge does not see (double NAT)", async () => {
    const { home, state, report } = await failureCase("double", 6, "double");
    // The router mapped the port, on its own outside address: one NAT short of the internet.
    expect(state.nat).toMatchObject({ method: "nat-pmp", externalHost: home.routerOutside });
    expect(report.dial.seenHost).toBe(home.outside);
    expect(report.verdict).toBe("cgnat");
  });

  it("is reachable over IPv6 when nothing drops the dial (finding: connect() was given a bare IPv6 literal, so every IPv6 node failed every challenge)", async () => {
    const home = await lab.ipv6Home(7, false);
    const n = await startNode("ipv6-open", home);
    await stop(n);
    expect(n.state.reachability).toMatchObject({ verdict: "reachable", dial: { ok: true, verdict: "pass" } });
  });

  it("node check says ipv6_only for a node that reaches the edge over IPv6 alone behind a stateful firewall", async () => {
    const { home, report } = await failureCase("ipv6", 5, "ipv6");
    expect(report.dial.seenHost).toBe(home.outside);
    expect(report.verdict).toBe("ipv6_only");
  });
});

/** [file, args] running `cmd` in the home's namespace, through sudo unless root. */
function sudoIp(home: Home, cmd: string[]): [string, string[]] {
  const args = ["netns", "exec", home.ns, ...cmd];
  return process.getuid?.() === 0 ? ["ip", args] : ["sudo", ["-n", "ip", ...args]];
}

