import { describe, expect, it } from "vitest";
import { gatewayFromProcRoute } from "./gateway.ts";

const HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";

describe("the default gateway from /proc/net/route", () => {
  it("reads the default route's gateway (little-endian hex)", () => {
    const table = [HEADER, "eth0\t00000000\t01014D0A\t0003\t0\t0\t0\t00000000\t0\t0\t0", "eth0\t00004D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0"].join("\n");
    expect(gatewayFromProcRoute(table)).toBe("10.77.1.1");
  });

  it("finds none without a default route, or when the default route is down (NAT-PMP is then skipped, not sent anywhere)", () => {
    expect(gatewayFromProcRoute([HEADER, "eth0\t00004D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0"].join("\n"))).toBeUndefined();
    expect(gatewayFromProcRoute([HEADER, "eth0\t00000000\t01014D0A\t0002\t0\t0\t0\t00000000\t0\t0\t0"].join("\n"))).toBeUndefined();
    expect(gatewayFromProcRoute("")).toBeUndefined();
  });
});
