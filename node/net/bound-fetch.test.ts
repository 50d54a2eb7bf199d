// The bound fetch against a real HTTP server on loopback: the server sees the connection come
// from the bound address (as the edge does through CF-Connecting-IP), bodies go both ways, and
// a compressed answer reads as plain text.

import { createServer, type IncomingMessage, type Server } from "node:http";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_LOCATION_HEADER } from "../../protocol/net/dev-location.ts";
import { boundFetch, installNetworkIdentity } from "./bound-fetch.ts";

describe("boundFetch", () => {
  let server: Server;
  let url: string;
  const seen: { from: string | undefined; method: string; body: string; headers: IncomingMessage["headers"] }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        seen.push({ from: req.socket.remoteAddress, method: req.method!, body, headers: req.headers });
        if (req.url === "/gz") {
          res.writeHead(200, { "content-encoding": "gzip", "content-type": "text/plain" });
          res.end(gzipSync("compressed hello"));
        } else res.writeHead(201, { "x-echo": body.length.toString() }).end(`from ${req.socket.remoteAddress}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("connects from the bound loopback address, so the edge sees the node there (finding: every local node on 127.0.0.1, one /24)", async () => {
    for (const addr of ["127.0.1.1", "127.0.2.1"]) {
      const res = await boundFetch(addr)(`${url}/register`, { method: "POST", body: JSON.stringify({ port: 7000 }), headers: { "content-type": "application/json" } });
      expect(res.status).toBe(201);
      expect(await res.text()).toBe(`from ${addr}`);
      expect(res.headers.get("x-echo")).toBe("13");
    }
    expect(seen.slice(-2).map((s) => [s.from, s.method, s.body])).toEqual([
      ["127.0.1.1", "POST", '{"port":7000}'],
      ["127.0.2.1", "POST", '{"port":7000}'],
    ]);
  });

  it("decodes a compressed answer and refuses an address that is not an IP", async () => {
    expect(await (await boundFetch("127.0.3.1")(`${url}/gz`)).text()).toBe("compressed hello");
    expect(() => boundFetch("localhost")).toThrow(/not an IP address/);
    await expect(boundFetch("127.0.3.1")("ftp://example.test/")).rejects.toThrow(/unsupported scheme/);
  });

  it("installs as the process's fetch with the dev location header", async () => {
    const original = globalThis.fetch;
    try {
      installNetworkIdentity({ bindAddress: "127.0.4.1", devLocation: "35.68,139.69" });
      expect(await (await fetch(`${url}/x`)).text()).toBe("from 127.0.4.1");
      expect(seen.at(-1)!.headers[DEV_LOCATION_HEADER]).toBe("35.68,139.69");
    } finally {
      globalThis.fetch = original;
    }
  });
});
