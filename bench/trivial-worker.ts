// The ceiling for bench/tracker.ts: a Worker that answers every request with the same
// bencoded announce response (20 compact IPv4 peers), without reading the request. It runs
// on the same workerd, behind the same Miniflare entry, as the tracker it is compared with.

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

export default {
  fetch(): Response {
    return new Response(BODY, { headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
  },
};
