// A fetch whose connections leave from one local address (Node's http `localAddress`). The
// edge takes a node's host from the connection it sees (CF-Connecting-IP), never from what the
// node says: a node on a multi-homed machine, or each node of the local network on its own
// loopback /24 (127.0.1.1, 127.0.2.1, …), is seen at the address it binds here.

import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { DEV_LOCATION_HEADER } from "../../protocol/net/dev-location.ts";
import { CliError } from "../errors.ts";

const NULL_BODY = new Set([101, 204, 205, 304]);

function decoded(res: IncomingMessage): Readable {
  const enc = String(res.headers["content-encoding"] ?? "").toLowerCase();
  if (enc === "gzip" || enc === "x-gzip") return res.pipe(createGunzip());
  if (enc === "br") return res.pipe(createBrotliDecompress());
  if (enc === "deflate") return res.pipe(createInflate());
  return res;
}

export function boundFetch(localAddress: string): typeof fetch {
  if (!isIP(localAddress)) throw new CliError(`not an IP address to bind: ${localAddress}`);
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`fetch: unsupported scheme ${url.protocol}`);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const headers: Record<string, string> = Object.fromEntries(req.headers);
    if (body) headers["content-length"] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const r = send(url, { method: req.method, headers, localAddress, signal: req.signal }, (res) => {
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined || k === "content-encoding" || k === "content-length") continue;
          for (const x of Array.isArray(v) ? v : [v]) out.append(k, x);
        }
        const status = res.statusCode ?? 502;
        const stream = NULL_BODY.has(status) || req.method === "HEAD" ? null : (Readable.toWeb(decoded(res)) as ReadableStream<Uint8Array>);
        if (!stream) res.resume();
        resolve(new Response(stream, { status, statusText: res.statusMessage, headers: out }));
      });
      r.on("error", (e) => reject(new TypeError(`fetch failed: ${e.message}`, { cause: e })));
      r.end(body);
    });
  };
}

/**
 * The node's network identity for this process: every fetch (the API client and webtorrent's
 * tracker announces alike) leaves from `bindAddress`; `devLocation` ("lat,lon", local network
 * only) rides along as a header the production edge ignores.
 */
export function installNetworkIdentity(o: { bindAddress?: string; devLocation?: string }): void {
  if (!o.bindAddress && !o.devLocation) return;
  const base = o.bindAddress ? boundFetch(o.bindAddress) : globalThis.fetch.bind(globalThis);
  const location = o.devLocation;
  globalThis.fetch = location
    ? (input, init) => {
        const req = new Request(input, init);
        req.headers.set(DEV_LOCATION_HEADER, location);
        return base(req);
      }
    : base;
}
