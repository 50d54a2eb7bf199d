// An adversary for tests, not a stand-in: a dishonest edge in front of the real worker. It
// forwards every request unchanged and tampers only with the JSON answers of the routes it
// is told to lie on, so a test can check that the node catches a lie the chain contradicts
// (a proof or leaves that do not rebuild the committed root) before it trusts or pays for it.

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Lie {
  /** Matched against the request's path (without the query). */
  route: RegExp;
  /** Returns the answer the lying edge sends instead of the worker's JSON. */
  tamper(body: unknown): unknown;
}

export interface LyingEdge {
  url: string;
  close(): Promise<void>;
}

/** `/api/epochs/:n/proof/:account` answers one more than the committed cumulative amount. */
export const inflateProof: Lie = {
  route: /^\/api\/epochs\/\d+\/proof\/0x[0-9a-fA-F]{40}$/,
  tamper: (body) => {
    const p = body as { cumulative: string };
    return { ...p, cumulative: (BigInt(p.cumulative) + 1n).toString() };
  },
};

/** `/api/epochs/:n/leaves` pays `account` one more than its committed cumulative amount. */
export function inflateLeaf(account: string): Lie {
  return {
    route: /^\/api\/epochs\/\d+\/leaves$/,
    tamper: (body) => {
      const b = body as { leaves: { account: string; cumulative: string }[] };
      return {
        ...b,
        leaves: b.leaves.map((l) => (l.account.toLowerCase() === account.toLowerCase() ? { ...l, cumulative: (BigInt(l.cumulative) + 1n).toString() } : l)),
      };
    },
  };
}

/** Hop-by-hop headers and the ones a re-sent body invalidates. */
const DROP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"]);

export async function startLyingEdge(target: string, lies: Lie[]): Promise<LyingEdge> {
  const server: Server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? "/").split("?")[0]!;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && !DROP.has(k)) headers.set(k, v);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
      const upstream = await fetch(target + req.url, { method: req.method, headers, body });
      let out: Uint8Array = new Uint8Array(await upstream.arrayBuffer());
      const lie = lies.find((l) => l.route.test(path));
      if (lie && upstream.ok) out = new TextEncoder().encode(JSON.stringify(lie.tamper(JSON.parse(new TextDecoder().decode(out)))));
      const outHeaders: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!DROP.has(k)) outHeaders[k] = v;
      });
      res.writeHead(upstream.status, { ...outHeaders, "content-length": String(out.length) });
      res.end(out);
    } catch (e) {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "bad_gateway", message: (e as Error).message } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on("error", reject);
  });
}
