// The real edge for node tests: the worker in workerd (wrangler dev, local D1, Durable
// Objects) started by scripts/network/edge.ts, optionally with anvil and the contracts, so
// the node is tested against what it talks to in production and never against a copy.
// Each test file gets its own folder under .vidya/test/ (wiped at start, kept afterwards
// for its logs), its own ports and keys; stop() ends every process it started.

import { rmSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ProcessGroup } from "../../scripts/network/processes.ts";
import { ROOT, startChain, type LocalChain } from "../../scripts/network/chain.ts";
import { startEdge, type Edge } from "../../scripts/network/edge.ts";
import { randomBytes } from "node:crypto";
import { asBytes, asDict, decode } from "../../protocol/bencode.ts";
import { fromHex, toHex, utf8Decode } from "../../protocol/hex.ts";
import { storageRoot } from "../../protocol/merkle/storage-tree.ts";
import type { EpochInfo, IndexTorrent } from "../api.ts";
import type { Fixture } from "./fixtures.ts";

export interface Transcript {
  id: string;
  node: string;
  infoHash: string;
  host: string;
  port: number;
  verdict: string;
  reason: string;
  attempts: number;
  tries: { verdict: string; reason: string }[];
  /** The v2 file challenged (hybrid and v2 torrents), null for the whole-payload tree. */
  file: number | null;
  root: string;
}

export interface TestEdge extends Edge {
  dir: string;
  group: ProcessGroup;
  /** Present when started with `chain`: the worker then posts roots and checks stakes. */
  chain?: LocalChain;
  /** Adds a fixture's torrent to the index as an admin does, with the storage root of its payload. */
  publish(fx: Fixture): Promise<IndexTorrent>;
  invite(): Promise<string>;
  /** One challenge round now: the worker dials every hosted torrent's node (or only `node`). */
  runChallenges(node?: string): Promise<Transcript[]>;
  closeEpoch(): Promise<EpochInfo>;
  /**
   * The peers ("host:port") the tracker hands a leecher announcing `infoHash` with `passkey`;
   * the leecher then announces `stopped`, so it never stays in the swarm.
   */
  peersOf(passkey: string, infoHash: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** `name` is the test file's folder under .vidya/test/. */
export async function startTestEdge(name: string, opts: { chain?: { disputeDelaySeconds: bigint }; vars?: Record<string, string> } = {}): Promise<TestEdge> {
  const dir = join(ROOT, ".vidya", "test", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const group = new ProcessGroup(join(dir, "logs"));
  try {
    const chain = opts.chain ? await startChain(group, opts.chain) : undefined;
    const edge = await startEdge(group, { dir, chain, vars: opts.vars });
    return {
      ...edge,
      dir,
      group,
      chain,
      publish: (fx) =>
        edge.api<IndexTorrent>(`/api/torrents?storageRoot=${toHex(storageRoot(fx.payload))}`, {
          method: "POST",
          admin: true,
          headers: { "content-type": "application/x-bittorrent" },
          body: new Uint8Array(fx.torrentFile),
        }),
      invite: async () => (await edge.api<{ invite: string }>("/admin/invites", { method: "POST", admin: true })).invite,
      runChallenges: async (node) => (await edge.api<{ results: Transcript[] }>(`/admin/challenges/run${node ? `?node=${node.toLowerCase()}` : ""}`, { method: "POST", admin: true })).results,
      closeEpoch: () => edge.api<EpochInfo>("/admin/epochs/close", { method: "POST", admin: true }),
      peersOf: async (passkey, infoHash) => {
        // A qBittorrent-style id: the tracker's client allow-list refuses unknown prefixes.
        const peerId = new Uint8Array([...new TextEncoder().encode("-qB4650-"), ...randomBytes(12)]);
        const announce = async (event: string) => {
          const q = `info_hash=${percent(fromHex(infoHash))}&peer_id=${percent(peerId)}&port=6881&uploaded=0&downloaded=0&left=1&compact=1&numwant=50&event=${event}`;
          const res = await fetch(`${edge.url}/${passkey}/announce?${q}`);
          const answer = asDict(decode(new Uint8Array(await res.arrayBuffer())), "announce answer");
          if (answer["failure reason"]) throw new Error(`announce failed: ${utf8Decode(asBytes(answer["failure reason"], "failure reason"))}`);
          return answer;
        };
        const peers = asBytes((await announce("started")).peers, "peers");
        await announce("stopped");
        const out: string[] = [];
        for (let i = 0; i + 6 <= peers.length; i += 6) out.push(`${peers.slice(i, i + 4).join(".")}:${(peers[i + 4]! << 8) | peers[i + 5]!}`);
        return out;
      },
      stop: () => group.stopAll(),
    };
  } catch (e) {
    await group.stopAll();
    throw e;
  }
}

/** A query value's bytes percent-encoded one by one (BEP 3: info_hash and peer_id are binary). */
function percent(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}
