import { describe, expect, it } from "vitest";
import { classifyReachability, isCgnatAddress, type DialFacts } from "../net/reachability.ts";

const failed = (seenHost: string, host = seenHost): DialFacts => ({ seenHost, endpoint: { host, port: 6881 }, ok: false, verdict: "refused", reason: "could not connect" });

describe("reachability verdicts", () => {
  it("knows RFC 6598's shared space and nothing next to it", () => {
    expect(isCgnatAddress("100.64.0.1")).toBe(true);
    expect(isCgnatAddress("100.127.255.254")).toBe(true);
    expect(isCgnatAddress("100.63.255.255")).toBe(false);
    expect(isCgnatAddress("100.128.0.1")).toBe(false);
    expect(isCgnatAddress("::ffff:100.64.1.1")).toBe(true);
    expect(isCgnatAddress("not an ip")).toBe(false);
  });

  it("calls a passed dial reachable whatever the mapping says (attack: a node told to fix what works)", () => {
    const v = classifyReachability({ ...failed("11.0.0.2"), ok: true, verdict: "pass", reason: "" }, { method: "none" });
    expect(v.verdict).toBe("reachable");
  });

  it("calls a failed dial with no gateway answer no_mapping and names the port to forward", () => {
    const v = classifyReachability(failed("11.0.0.2"), { method: "none", error: "no NAT-PMP or UPnP gateway answered" });
    expect(v.verdict).toBe("no_mapping");
    expect(v.advice).toContain("6881");
  });

  it("calls a router whose outside is in 100.64.0.0/10 cgnat even when the mapping was made", () => {
    const v = classifyReachability(failed("11.0.0.9"), { method: "nat-pmp", externalHost: "100.64.7.2", externalPort: 6881, internalPort: 6881 });
    expect(v.verdict).toBe("cgnat");
  });

  it("calls a gateway that says it has no public outside address cgnat (miniupnpd behind a provider NAT)", () => {
    const v = classifyReachability(failed("11.0.0.9"), { method: "none", externalHost: null, noPublicAddress: true, error: "network failure" });
    expect(v.verdict).toBe("cgnat");
  });

  it("calls a router outside address other than the edge's view cgnat (double NAT)", () => {
    const v = classifyReachability(failed("11.0.0.9"), { method: "upnp", externalHost: "192.168.1.20", externalPort: 6881, internalPort: 6881 });
    expect(v.verdict).toBe("cgnat");
  });

  it("calls a mapping on the address the edge sees that still fails a firewall", () => {
    const v = classifyReachability(failed("11.0.0.2"), { method: "upnp", externalHost: "11.0.0.2", externalPort: 6881, internalPort: 6881 });
    expect(v.verdict).toBe("firewall");
  });

  it("calls a node seen over IPv6 with a failed dial ipv6_only", () => {
    const v = classifyReachability(failed("fd77:4::2"), { method: "none" });
    expect(v.verdict).toBe("ipv6_only");
    expect(v.summary).toContain("[fd77:4::2]:6881");
  });

  it("says how to turn mapping back on when it was off", () => {
    const v = classifyReachability(failed("11.0.0.2"), { method: "off" });
    expect(v.verdict).toBe("no_mapping");
    expect(v.advice).toContain("--nat");
  });
});
