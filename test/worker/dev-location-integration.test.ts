// The local network's stand-in for request.cf: a node's place in DEV_LOCATION_HEADER counts
// only under LOCAL_DEV=1. In production the edge takes the place from request.cf alone.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { DEV_LOCATION_HEADER } from "../../protocol/net/dev-location.ts";
import { db, schema } from "../../worker/db/client.ts";
import type { Env } from "../../worker/env.ts";
import { edgeLocation } from "../../worker/nodes/routes.ts";
import { call, nowSeconds, signed } from "./support/worker.ts";

const production = { ...env, LOCAL_DEV: undefined } as unknown as Env;
const local = { ...env, LOCAL_DEV: "1" } as unknown as Env;
const withCf = (headers: Record<string, string>, cf?: Record<string, string>) =>
  new Request("http://edge.test/api/nodes/register", { method: "POST", headers, ...(cf ? { cf } : {}) } as RequestInit);

describe("dev location stand-in for request.cf", () => {
  it("ignores the dev location header in production (attack: a node claims a far place for the geo boost)", () => {
    expect(edgeLocation(withCf({ [DEV_LOCATION_HEADER]: "-33.9,151.2" }), production)).toEqual({ lat: null, lon: null, colo: null });
    // request.cf wins over the header: the place is where Cloudflare saw the connection.
    expect(edgeLocation(withCf({ [DEV_LOCATION_HEADER]: "-33.9,151.2" }, { latitude: "52.37", longitude: "4.90", colo: "AMS" }), production)).toEqual({ lat: 52.37, lon: 4.9, colo: "AMS" });
  });

  it("locally takes the dev location header and ignores miniflare's placeholder place", () => {
    expect(edgeLocation(withCf({ [DEV_LOCATION_HEADER]: "35.68, 139.69" }, { latitude: "30.27", longitude: "-97.74", colo: "DFW" }), local)).toEqual({ lat: 35.68, lon: 139.69, colo: "LOCAL" });
    expect(edgeLocation(withCf({}, { latitude: "30.27", longitude: "-97.74", colo: "DFW" }), local)).toEqual({ lat: null, lon: null, colo: null });
    // Out of range or not a number: no place, as with a bad request.cf.
    expect(edgeLocation(withCf({ [DEV_LOCATION_HEADER]: "95,10" }), local).lat).toBeNull();
    expect(edgeLocation(withCf({ [DEV_LOCATION_HEADER]: "north,south" }), local).lat).toBeNull();
  });

  it("stores the registering node's dev location on the local network", async () => {
    const node = privateKeyToAccount(generatePrivateKey());
    const init = await signed(node, "NodeRegistration", { node: node.address, port: 7311, nonce: 1n, expiry: nowSeconds() + 600n });
    const res = await call("/api/nodes/register", { ...init, headers: { ...(init.headers as Record<string, string>), [DEV_LOCATION_HEADER]: "-33.87,151.21" } });
    expect(res.status).toBe(200);
    const row = await db(env.DB).select({ lat: schema.nodes.lat, lon: schema.nodes.lon }).from(schema.nodes).where(eq(schema.nodes.address, node.address.toLowerCase())).get();
    expect(row).toEqual({ lat: -33.87, lon: 151.21 });
  });
});
