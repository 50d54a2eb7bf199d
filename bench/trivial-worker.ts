// The ceilings for bench/tracker.ts, on the same workerd behind the same Miniflare entry as
// the tracker: a Worker that answers every request with the same bencoded announce response
// (20 compact IPv4 peers) without reading the request; and, bound to the `Echo` Durable
// Object (64 of them, picked by the request's path as the tracker picks a shard), the same
// answer fetched with one RPC: the price of the Durable Object hop alone, which every
// tracker announce pays and the plain ceiling does not.

// This file is type-checked with the Node project, where workerd's modules are unknown: the
// little used from them is typed here.
// @ts-expect-error: cloudflare:workers exists only in workerd
import { DurableObject } from "cloudflare:workers";

interface EchoNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { answer(): Promise<Uint8Array<ArrayBuffer>> };
}

const PEERS = 20;

function response(): Uint8Array<ArrayBuffer> {
  const head = new TextEncoder().encode(`d8:completei10e10:downloadedi3e10:incompletei10e8:intervali1800e12:min intervali300e5:peers${PEERS * 6}:`);
  const body = new Uint8Array(head.length + PEERS * 6 + 1);
  body.set(head);
  for (let i = 0; i < PEERS; i++) body.set([10, 0, (i >> 8) & 0xff, i & 0xff, 0x1a, 0xe1], head.length + i * 6);
  body[body.length - 1] = 0x65; // "e"
  return body;
}

const BODY = response();
const HEADERS = { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" };

export class Echo extends DurableObject {
  answer(): Uint8Array<ArrayBuffer> {
    return BODY;
  }
}

interface Env {
  ECHO?: EchoNamespace;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (!env.ECHO) return new Response(BODY, { headers: HEADERS });
    const url = request.url;
    const shard = url.charCodeAt(url.indexOf("info_hash=") + 11) % 64;
    const body = await env.ECHO.get(env.ECHO.idFromName(`echo-${shard}`)).answer();
    return new Response(body, { headers: HEADERS });
  },
};
