// The cases of bench/fuzz.ts beyond announce and scrape (those come from the announce fuzz
// test's generator, test/worker/support/announce-fuzz-cases.ts): WebSocket tracker messages,
// torrent uploads and JSON API calls. Every case is a pure function of (seed, index) through
// Rng, so a failing one is regenerated alone from the seed and its index.

import { encode, type BInput } from "../../protocol/bencode.ts";
import { bytesToBinary, toHex } from "../../protocol/hex.ts";
import { Rng } from "../../test/worker/support/announce-fuzz-cases.ts";

/** What the fuzz set up before sending: members, torrents, nodes. */
export interface FuzzWorld {
  origin: string;
  adminToken: string;
  /** Passkeys the tracker cases use (never reset). */
  passkeys: string[];
  /** Members whose passkeys the passkey-reset and admin-member cases may change. */
  spare: { account: string; passkey: string }[];
  accounts: string[];
  /** Registered info hashes, hex. */
  torrents: string[];
  nodes: string[];
}

export interface HttpCase {
  kind: "upload" | "api" | "site";
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** The route it aims at, for the summary and messages. */
  route: string;
}

// ---------------------------------------------------------------------------------------
// Values that break things

const HUGE = ["9007199254740992", "18446744073709551616", "1e309", "-1", "-9007199254740993", "0", "NaN", "99999999999999999999999999999999999"];

function garbageText(rng: Rng, max = 300): string {
  return rng.weighted([
    [3, () => "x".repeat(rng.int(max))],
    [2, () => String.fromCharCode(...Array.from({ length: rng.int(64) }, () => rng.int(0x3000)))],
    [2, () => rng.pick(HUGE)],
    [1, () => "%" + toHex(rng.bytes(rng.int(8)))],
    [1, () => "../".repeat(rng.int(10)) + "etc/passwd"],
    [1, () => "\u202e\u0000\u001b[31m<script>alert(1)</script>"],
    [1, () => "' OR 1=1 --"],
    [1, () => "%" + "a".repeat(rng.int(200))],
  ] as const)();
}

function garbageJson(rng: Rng, depth = 0): unknown {
  return rng.weighted<() => unknown>([
    [3, () => garbageText(rng, 100)],
    [2, () => rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER])],
    [1, () => null],
    [1, () => rng.chance(0.5)],
    [depth < 3 ? 2 : 0, () => Array.from({ length: rng.int(5) }, () => garbageJson(rng, depth + 1))],
    [depth < 3 ? 2 : 0, () => Object.fromEntries(Array.from({ length: rng.int(5) }, () => [rng.pick(["signature", "message", "address", "account", "infoHash", "hosted", "roots", "nonce", "expiry", "port", "code", "epoch", "x", "__proto__", "constructor"]), garbageJson(rng, depth + 1)]))],
  ] as const)();
}

function garbageBody(rng: Rng): Uint8Array {
  const text = (s: string) => new TextEncoder().encode(s);
  return rng.weighted([
    [4, () => text(JSON.stringify(garbageJson(rng)))],
    [2, () => rng.bytes(rng.int(512))],
    [1, () => text("{" + garbageText(rng))],
    [1, () => text("")],
    [1, () => text(JSON.stringify({ data: "x".repeat(rng.pick([1_000, 100_000, 1_000_000])) }))],
    [1, () => text("[".repeat(rng.pick([100, 10_000])))],
  ] as const)();
}

const hex = (rng: Rng, bytes: number) => toHex(rng.bytes(bytes));

// ---------------------------------------------------------------------------------------
// Torrent uploads

function goodInfo(rng: Rng): Record<string, BInput> {
  const pieceLength = 16_384 << rng.int(4);
  const length = 1 + rng.int(pieceLength * 3);
  const pieces = rng.bytes(20 * Math.ceil(length / pieceLength));
  return { name: `fuzz-${hex(rng, 6)}.bin`, "piece length": pieceLength, length, pieces, private: 1 };
}

/** Bencode holds any integer: past 2^53 as a bigint. */
const int = (n: number): number | bigint => (Number.isSafeInteger(n) ? n : BigInt(n));

/** A v1 or v2 torrent with one field crafted past what the index accepts, or just valid. */
function craftedTorrent(rng: Rng): BInput {
  const info = goodInfo(rng);
  rng.weighted([
    [2, () => (info.length = int(rng.pick([2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, -1, 0])))],
    [1, () => (info.length = 2n ** 64n + 1n)],
    [2, () => (info["piece length"] = int(rng.pick([0, 1, 3, 16_383, 16_385, 2 ** 31, 2 ** 32 + 16_384, 2 ** 36, 2 ** 53, -16_384])))],
    [2, () => {
      // Many files, or files whose lengths sum past 2^53.
      const n = rng.pick([2, 100, 2_000]);
      const each = rng.chance(0.5) ? 1 + rng.int(100_000) : 2 ** 52;
      delete info.length;
      info.files = Array.from({ length: n }, (_, i) => ({ length: each, path: [`d${i % 7}`, `f${i}.bin`] }));
      info.pieces = rng.bytes(20 * Math.min(10_000, Math.ceil((n * Math.min(each, 2 ** 20)) / 16_384)));
    }],
    [1, () => (info.name = rng.pick(["", ".", "..", "a/b", "x".repeat(5_000), "\u202eevil", "nul\u0000byte", "\u0007bell"]))],
    [1, () => (info.pieces = rng.bytes(rng.pick([0, 19, 21, 40_000])))],
    [1, () => {
      // v2 (BEP 52): a file tree whose piece layers are missing, short or huge.
      info["meta version"] = 2;
      info["piece length"] = rng.pick([16_384, 2 ** 36, 2 ** 32 + 16_384, 3]);
      info["file tree"] = { [`f${rng.int(9)}`]: { "": { length: int(rng.pick([1, 2 ** 40, 2 ** 53])), "pieces root": rng.bytes(rng.pick([32, 31])) } } };
      if (rng.chance(0.5)) delete info.pieces;
    }],
    [1, () => {
      info["url-list"] = ["http://127.0.0.1:9/seed"];
      info.nodes = [["127.0.0.1", 6881]];
    }],
    [2, () => {}],
  ] as const)();
  const t: Record<string, BInput> = { announce: "http://127.0.0.1/announce", info };
  if (rng.chance(0.1)) t["piece layers"] = { [bytesToBinary(rng.bytes(32))]: rng.bytes(rng.pick([0, 32, 64])) };
  return t;
}

/** Flips, cuts and splices bytes of a valid encoding: bencode that is almost right. */
function mutate(rng: Rng, b: Uint8Array): Uint8Array {
  const out = Array.from(b);
  const n = 1 + rng.int(4);
  for (let i = 0; i < n && out.length; i++) {
    const at = rng.int(out.length);
    rng.weighted<() => unknown>([
      [3, () => (out[at] = rng.u32() & 0xff)],
      [2, () => out.splice(at, 1 + rng.int(8))],
      [2, () => out.splice(at, 0, ...new TextEncoder().encode(rng.pick(["i", "e", "l", "d", "0:", "99999999999:", "i-0e", "i00e", "ie", "4294967296:"])))],
      [1, () => (out.length = at)],
    ] as const)();
  }
  return new Uint8Array(out);
}

export function uploadCase(w: FuzzWorld, rng: Rng): HttpCase {
  const torrent = new Uint8Array(encode(craftedTorrent(rng)));
  const body = rng.weighted([
    [5, () => torrent],
    [4, () => mutate(rng, torrent)],
    [1, () => rng.bytes(rng.int(2_048))],
  ] as const)();
  const query = rng.weighted([
    [4, () => `?storageRoot=${hex(rng, 32)}`],
    [2, () => ""],
    [2, () => `?storageRoot=${encodeURIComponent(garbageText(rng))}&category=${encodeURIComponent(garbageText(rng))}&description=${encodeURIComponent(garbageText(rng, 20_000))}`],
  ] as const)();
  const headers: Record<string, string> = { "content-type": rng.pick(["application/x-bittorrent", "application/octet-stream", "application/json", "text/plain"]) };
  if (rng.chance(0.5)) {
    if (rng.chance(0.85)) headers.authorization = `Bearer ${w.adminToken}`;
    return { kind: "upload", method: "POST", url: `${w.origin}/api/torrents${query}`, headers, body, route: "POST /api/torrents" };
  }
  const pk = rng.chance(0.85) ? rng.pick(w.passkeys) : rng.pick(["0".repeat(32), hex(rng, 16), garbageText(rng, 40).replace(/[/?#%]/g, "_") || "x"]);
  return { kind: "upload", method: "POST", url: `${w.origin}/${encodeURIComponent(pk)}/upload${query}`, headers, body, route: "POST /:passkey/upload" };
}

// ---------------------------------------------------------------------------------------
// The JSON API, the admin routes and the site's pages

type Param = "passkey" | "spare" | "infoHash" | "account" | "node" | "epoch" | "prefix" | "list";

/** Every route of worker/index.ts and the routers it mounts, with what its parameters name. */
const ROUTES: [method: string, path: string, kind: "api" | "site"][] = [
  ["GET", "/api/chain", "api"],
  ["POST", "/api/members/join", "api"],
  ["POST", "/api/nodes/register", "api"],
  ["POST", "/api/nodes/hosted", "api"],
  ["POST", "/api/nodes/roots", "api"],
  ["GET", "/api/nodes/:node/transcripts", "api"],
  ["GET", "/api/nodes/:node", "api"],
  ["GET", "/api/torrents", "api"],
  ["GET", "/api/torrents/hot", "api"],
  ["GET", "/api/torrents/search", "api"],
  ["GET", "/api/torrents/:infoHash", "api"],
  ["GET", "/api/epochs/open", "api"],
  ["GET", "/api/epochs", "api"],
  ["GET", "/api/epochs/:epoch", "api"],
  ["GET", "/api/epochs/:epoch/leaves", "api"],
  ["GET", "/api/epochs/:epoch/inputs", "api"],
  ["GET", "/api/epochs/:epoch/proof/:account", "api"],
  ["GET", "/api/epochs/:epoch/slashed", "api"],
  ["GET", "/api/epochs/:epoch/slashed/proof/:account", "api"],
  ["GET", "/api/epochs/:epoch/spent", "api"],
  ["GET", "/api/epochs/:epoch/spent/proof/:account", "api"],
  ["GET", "/api/epochs/:epoch/disputes", "api"],
  ["GET", "/api/hosting/offers", "api"],
  ["POST", "/api/disputes", "api"],
  ["POST", "/admin/challenges/run", "api"],
  ["POST", "/admin/epochs/close", "api"],
  ["POST", "/admin/invites", "api"],
  ["GET", "/admin/invite-tree", "api"],
  ["POST", "/admin/members/:spare/passkey", "api"],
  ["POST", "/admin/members/:spare", "api"],
  ["GET", "/admin/torrents", "api"],
  ["POST", "/admin/torrents/:infoHash/approve", "api"],
  ["POST", "/admin/torrents/:infoHash/reject", "api"],
  ["POST", "/admin/torrents/:infoHash/flags", "api"],
  ["GET", "/admin/clients", "api"],
  ["PUT", "/admin/clients/:prefix", "api"],
  ["DELETE", "/admin/clients/:prefix", "api"],
  ["GET", "/:passkey/torrent/:infoHash", "api"],
  ["GET", "/:passkey/stats", "api"],
  ["GET", "/:passkey/torrents/:list", "api"],
  ["POST", "/:passkey/invites", "api"],
  ["GET", "/:passkey/invites", "api"],
  ["POST", "/:spare/passkey", "api"],
  ["GET", "/no/such/route", "api"],
  ["GET", "/", "site"],
  ["GET", "/torrents/:infoHash", "site"],
  ["GET", "/torrents/:infoHash/download", "site"],
  ["POST", "/torrents/:infoHash/flags", "site"],
  ["GET", "/upload", "site"],
  ["POST", "/upload", "site"],
  ["GET", "/moderation", "site"],
  ["POST", "/moderation/:infoHash", "site"],
  ["GET", "/me", "site"],
  ["POST", "/me/reset-passkey", "site"],
  ["POST", "/me/invite", "site"],
  ["GET", "/join", "site"],
  ["POST", "/join", "site"],
  ["GET", "/signin", "site"],
  ["POST", "/auth/nonce", "site"],
  ["POST", "/auth/verify", "site"],
  ["POST", "/signout", "site"],
  ["GET", "/epochs", "site"],
  ["GET", "/epochs/:epoch", "site"],
  ["GET", "/wallet", "site"],
  ["GET", "/nodes/:node", "site"],
];

/** Routes the admin token may reach with its real value: each runs a round or a close, so they are kept rare. */
const HEAVY = new Set(["/admin/challenges/run", "/admin/epochs/close"]);

function paramValue(rng: Rng, w: FuzzWorld, p: Param): string {
  if (rng.chance(0.35)) return encodeURIComponent(garbageText(rng, 120)) || "x";
  switch (p) {
    case "passkey":
      return rng.pick(w.passkeys);
    case "spare":
      return rng.pick(w.spare).passkey;
    case "infoHash":
      return rng.chance(0.8) ? rng.pick(w.torrents) : hex(rng, 20);
    case "account":
      return rng.pick(w.accounts);
    case "node":
      return rng.pick(w.nodes);
    case "epoch":
      return String(rng.pick([0, 1, 2, 3, -1, 2 ** 31, 2 ** 53, 1e21]));
    case "prefix":
      return rng.pick(["-qB", "-TR4060-", "2D7142", hex(rng, 4)]);
    case "list":
      return rng.pick(["seeding", "leeching", "snatched", "uploaded", "x"]);
  }
}

export function apiCase(w: FuzzWorld, rng: Rng): HttpCase {
  const [method0, template, kind] = rng.pick(ROUTES);
  const method = rng.chance(0.05) ? rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]) : method0;
  let path = template.replace(/:(\w+)/g, (_, p: string) => {
    if (p === "spare") return template.startsWith("/admin") ? rng.pick(w.spare).account : paramValue(rng, w, "spare");
    return paramValue(rng, w, p as Param);
  });
  if (rng.chance(0.03)) path += rng.pick(["/", "//", "/x", "%00", "%2F..", "?"]);
  const query = rng.chance(0.5)
    ? "?" +
      Array.from({ length: 1 + rng.int(4) }, () =>
        `${rng.pick(["q", "page", "sort", "order", "category", "min_size", "max_size", "min_seeders", "hot", "freeleech", "status", "node", "storageRoot", "limit", "cursor", "x"])}=${encodeURIComponent(rng.chance(0.3) ? rng.pick(HUGE) : garbageText(rng, rng.pick([10, 60, 2_000])))}`,
      ).join("&")
    : "";
  const headers: Record<string, string> = {};
  const admin = template.startsWith("/admin");
  if (admin && rng.chance(HEAVY.has(template) ? 0.02 : 0.7)) headers.authorization = `Bearer ${w.adminToken}`;
  else if (rng.chance(0.1)) headers.authorization = rng.pick(["Bearer ", `Bearer ${hex(rng, 24)}`, "Basic YTpi", garbageText(rng, 50).replace(/[^\x20-\x7e]/g, "")]);
  if (kind === "site" && method !== "GET" && rng.chance(0.5)) headers.origin = w.origin;
  if (rng.chance(0.2)) headers.cookie = `vidya_session=${rng.chance(0.5) ? hex(rng, 32) : "x"}`;
  let body: Uint8Array | undefined;
  if (method !== "GET" && method !== "HEAD") {
    body = garbageBody(rng);
    headers["content-type"] = rng.pick(["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", "application/octet-stream"]);
  }
  return { kind, method, url: `${w.origin}${path}${query}`, headers, body, route: `${method0} ${template}` };
}

// ---------------------------------------------------------------------------------------
// WebSocket tracker messages (WebTorrent's JSON over text frames)

/** One frame for a connection whose own peer ids are `peerIds` (binary strings). */
export function wsFrame(w: FuzzWorld, rng: Rng, peerIds: string[]): string | Uint8Array {
  const ih = () => (rng.chance(0.85) ? bytesToBinary(Uint8Array.from(Buffer.from(rng.pick(w.torrents), "hex"))) : bytesToBinary(rng.bytes(rng.pick([20, 20, 19, 21, 0]))));
  const pid = () => (rng.chance(0.9) ? rng.pick(peerIds) : bytesToBinary(rng.bytes(rng.pick([20, 20, 3]))));
  const num = () => (rng.chance(0.7) ? rng.int(10_000_000) : rng.pick<unknown>([-1, 2 ** 53, 1e308, "12", null, [], {}, 1.5, "x".repeat(1_000)]));
  const field = <T>(good: () => T) => (rng.chance(0.85) ? good() : garbageJson(rng));
  return rng.weighted<() => string | Uint8Array>([
    [10, () => {
      const m: Record<string, unknown> = {
        action: "announce",
        info_hash: field(ih),
        peer_id: field(pid),
        uploaded: num(),
        downloaded: num(),
        left: num(),
        numwant: rng.chance(0.8) ? rng.int(60) : num(),
      };
      if (rng.chance(0.7)) m.event = rng.chance(0.85) ? rng.pick(["started", "update", "completed", "stopped", "paused"]) : garbageJson(rng);
      if (rng.chance(0.5))
        m.offers = rng.chance(0.85)
          ? Array.from({ length: rng.int(rng.chance(0.05) ? 500 : 10) }, () => ({ offer_id: field(() => bytesToBinary(rng.bytes(20))), offer: field(() => ({ type: "offer", sdp: "v=0\r\n".repeat(1 + rng.int(20)) })) }))
          : garbageJson(rng);
      if (rng.chance(0.05)) m.trackerid = garbageJson(rng);
      return JSON.stringify(m);
    }],
    [3, () => JSON.stringify({ action: "scrape", info_hash: rng.chance(0.7) ? ih() : rng.chance(0.5) ? Array.from({ length: rng.pick([1, 5, 100, 1_000]) }, ih) : garbageJson(rng) })],
    [2, () => JSON.stringify({ action: "announce", info_hash: ih(), peer_id: pid(), to_peer_id: field(pid), offer_id: field(() => bytesToBinary(rng.bytes(20))), answer: field(() => ({ type: "answer", sdp: "v=0" })) })],
    [2, () => garbageText(rng, 500)],
    [2, () => JSON.stringify(garbageJson(rng))],
    [1, () => JSON.stringify({ action: rng.pick(["announce", "scrape", "ANNOUNCE", "", "offer", "__proto__"]), ...(garbageJson(rng) as object) })],
    [1, () => rng.bytes(rng.int(256))],
    // Oversized: kept rare, each is a megabyte through the loopback.
    [0.05, () => JSON.stringify({ action: "announce", info_hash: ih(), peer_id: pid(), offers: [{ offer_id: "x", offer: { sdp: "x".repeat(1_000_000) } }] })],
  ] as const)();
}

/** A scrape every connection ends a burst with: each message is handled in order, so its answer marks the burst done. */
export function wsBarrier(w: FuzzWorld, rng: Rng): string {
  return JSON.stringify({ action: "scrape", info_hash: bytesToBinary(Uint8Array.from(Buffer.from(rng.pick(w.torrents), "hex"))) });
}
