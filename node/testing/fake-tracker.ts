// A stand-in for the worker in node tests: the JSON routes the node calls, signed reports
// checked with protocol's verifyReport, and a minimal compact-peers HTTP announce (BEP 3/23).

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { encode } from "../../protocol/bencode.ts";
import { toHex } from "../../protocol/hex.ts";
import { reportFromJson, verifyReport, type ReportType } from "../../protocol/reports/eip712.ts";
import { withAnnounce } from "../../protocol/torrent.ts";
import type { ChainInfo, EpochLeaves, IndexTorrent } from "../api.ts";

export const CHAIN_ID = 31337;

export interface FakeTracker {
  url: string;
  torrents: Map<string, { json: IndexTorrent; file: Uint8Array }>;
  registered: Map<string, { port: number; passkey: string }>;
  hosted: Map<string, string[]>;
  members: Map<string, string>;
  announces: { passkey: string; infoHash: string; port: number; event?: string }[];
  /** What GET /api/chain answers (dummy addresses unless a test deploys contracts). */
  chain: ChainInfo;
  /** Published epochs: leaves, inputs (with their inputsHash) and proofs by account. */
  epochs: Map<number, { leaves: EpochLeaves; inputs: Record<string, unknown>; proofs: Map<string, { cumulative: string; proof: string[] }> }>;
  /** Admission without an invite (the real worker checks the on-chain stake). */
  admit?: (account: string) => Promise<boolean>;
  close(): Promise<void>;
}

export async function startFakeTracker(): Promise<FakeTracker> {
  const t: Omit<FakeTracker, "url" | "close"> = {
    torrents: new Map(),
    registered: new Map(),
    hosted: new Map(),
    members: new Map(),
    announces: [],
    chain: { chainId: CHAIN_ID, rpcUrl: "http://127.0.0.1:1", token: zero(1), staking: zero(2), epochRewards: zero(3) },
    epochs: new Map(),
  };
  const state = t as FakeTracker;
  const passkeys = new Set<string>();
  const swarms = new Map<string, Map<string, { ip: string; port: number }>>();
  let n = 0;
  const newPasskey = () => {
    const k = `pk${(++n).toString().padStart(30, "0")}`;
    passkeys.add(k);
    return k;
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, "http://x");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, code: string, message: string) => send(status, { error: { code, message } });
    try {
      const parts = url.pathname.split("/").filter(Boolean);
      if (req.method === "GET" && url.pathname === "/api/chain") return send(200, state.chain);
      if (req.method === "GET" && parts[0] === "api" && parts[1] === "epochs" && parts[2]) {
        const e = state.epochs.get(Number(parts[2]));
        if (!e) return fail(404, "not_found", "no such epoch");
        if (parts[3] === "leaves") return send(200, e.leaves);
        if (parts[3] === "inputs") return send(200, e.inputs);
        if (parts[3] === "proof" && parts[4]) {
          const p = e.proofs.get(parts[4].toLowerCase());
          return p ? send(200, { epoch: Number(parts[2]), account: parts[4].toLowerCase(), ...p }) : fail(404, "not_found", "no leaf for this account");
        }
      }
      if (req.method === "GET" && parts[0] === "api" && parts[1] === "nodes" && parts[2]) {
        const a = parts[2].toLowerCase();
        const reg = t.registered.get(a);
        if (!reg) return fail(404, "not_found", "no such node");
        const hosted = t.hosted.get(a) ?? [];
        const hostedBytes = hosted.reduce((s, h) => s + (t.torrents.get(h)?.json.length ?? 0), 0);
        return send(200, { node: a, endpoint: { host: "127.0.0.1", port: reg.port }, hosted, hostedBytes, epochs: [{ epoch: 1, passed: 2, failed: 0, earned: "5" }], cumulativeEarned: "5" });
      }
      if (req.method === "GET" && url.pathname === "/api/torrents") return send(200, [...t.torrents.values()].map((x) => x.json));
      if (req.method === "GET" && parts[0] === "api" && parts[1] === "torrents" && parts[2]) {
        const x = t.torrents.get(parts[2]);
        return x ? send(200, x.json) : fail(404, "not_found", "no such torrent");
      }
      if (req.method === "POST" && parts[0] === "api") {
        const body = JSON.parse(await readBody(req)) as { message: unknown; signature: `0x${string}`; invite?: string };
        const type: ReportType = url.pathname === "/api/nodes/register" ? "NodeRegistration" : url.pathname === "/api/nodes/hosted" ? "HostedSubset" : "MemberJoin";
        let signer: string;
        let message;
        try {
          message = reportFromJson(type, body.message);
          signer = (await verifyReport(CHAIN_ID, type, message, body.signature, BigInt(Math.floor(Date.now() / 1000)))).toLowerCase();
        } catch (e) {
          return fail(400, "bad_report", (e as Error).message);
        }
        if (type === "NodeRegistration") {
          const passkey = t.registered.get(signer)?.passkey ?? newPasskey();
          t.registered.set(signer, { port: (message as { port: number }).port, passkey });
          return send(200, { node: signer, passkey, endpoint: { host: "127.0.0.1", port: (message as { port: number }).port } });
        }
        if (type === "HostedSubset") {
          if (!t.registered.has(signer)) return fail(409, "not_registered", "register first");
          const hosted = (message as { infoHashes: string[] }).infoHashes.map((h) => h.slice(2)).filter((h) => t.torrents.has(h));
          t.hosted.set(signer, hosted);
          return send(200, { node: signer, hosted });
        }
        if (!body.invite && !(await state.admit?.(signer))) return fail(403, "not_admitted", "an invite or the access stake is required");
        const passkey = t.members.get(signer) ?? newPasskey();
        t.members.set(signer, passkey);
        return send(200, { account: signer, passkey });
      }
      if (req.method === "GET" && parts.length === 3 && parts[1] === "torrent") {
        if (!passkeys.has(parts[0]!)) return fail(403, "bad_passkey", "unknown passkey");
        const x = t.torrents.get(parts[2]!);
        if (!x) return fail(404, "not_found", "no such torrent");
        res.writeHead(200, { "content-type": "application/x-bittorrent" });
        return res.end(withAnnounce(x.file, `${trackerUrl}/${parts[0]}/announce`));
      }
      if (req.method === "GET" && parts.length === 2 && parts[1] === "announce") {
        const bencoded = (v: Parameters<typeof encode>[0]) => {
          res.writeHead(200, { "content-type": "text/plain" });
          res.end(encode(v));
        };
        if (!passkeys.has(parts[0]!)) return bencoded({ "failure reason": "unknown passkey" });
        const infoHash = toHex(rawQueryBytes(req.url!, "info_hash"));
        const port = Number(url.searchParams.get("port"));
        const ip = (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
        t.announces.push({ passkey: parts[0]!, infoHash, port, event: url.searchParams.get("event") ?? undefined });
        const swarm = swarms.get(infoHash) ?? new Map();
        swarms.set(infoHash, swarm);
        const key = `${ip}:${port}`;
        if (url.searchParams.get("event") === "stopped") swarm.delete(key);
        else swarm.set(key, { ip, port });
        const peers = [...swarm.entries()].filter(([k]) => k !== key).map(([, p]) => Uint8Array.from([...p.ip.split(".").map(Number), p.port >> 8, p.port & 0xff]));
        const compact = new Uint8Array(peers.length * 6);
        peers.forEach((p, i) => compact.set(p, i * 6));
        return bencoded({ interval: 30, "min interval": 5, complete: swarm.size, incomplete: 0, peers: compact });
      }
      fail(404, "not_found", `no route ${req.method} ${url.pathname}`);
    } catch (e) {
      fail(500, "internal", (e as Error).message);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const trackerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url: trackerUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function zero(n: number): `0x${string}` {
  return `0x${n.toString(16).padStart(40, "0")}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (s += c));
    req.on("end", () => resolve(s));
    req.on("error", reject);
  });
}

/** A query parameter's bytes: info_hash is binary, percent-encoded byte by byte. */
function rawQueryBytes(rawUrl: string, name: string): Uint8Array {
  const q = rawUrl.split("?")[1] ?? "";
  const pair = q.split("&").find((p) => p.startsWith(`${name}=`));
  if (!pair) return new Uint8Array(0);
  const v = pair.slice(name.length + 1);
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] === "%") {
      out.push(parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(v.charCodeAt(i));
  }
  return Uint8Array.from(out);
}
