// Adversaries for tests, not stand-ins (like lying-edge.ts): dishonest or unlucky nodes that
// the real edge challenges over real TCP, so a test shows what the challenge catches and what
// it cannot. Each speaks the real peer wire (protocol/wire/messages.ts) or wraps a real
// webtorrent client.
//
//   startRelayNode     holds no data: answers the handshake and fetches every requested block
//                      (and the merkle paths) from an honest node over the BitTorrent wire,
//                      after a configurable delay standing for the distance to that node.
//   startForgingSeeder a webtorrent seed with the real blocks whose vidya_proof answers are
//                      forged: another block's path, a truncated path, a path in another tree.
//   startFlakyProxy    in front of an honest node: its first connections are accepted and then
//                      left silent (a transient timeout), later ones reach the node.
//   fetchSeenFrom      a fetch that tells the edge which address it sees (CF-Connecting-IP),
//                      so local nodes can sit on distinct subnets.

import { createServer, connect, type Server, type Socket } from "node:net";
import type WebTorrent from "webtorrent";
import type { ExtensionConstructor, Wire } from "webtorrent";
import { asDict, asInt, decode, encode } from "../../protocol/bencode.ts";
import { binaryToBytes, bytesEqual, fromHex, toHex } from "../../protocol/hex.ts";
import { storageProof, type StorageTree } from "../../protocol/merkle/storage-tree.ts";
import { PROOF_EXTENSION } from "../../protocol/params.ts";
import { decodeProofMessage, encodeProofMessage, type ChallengeContext } from "../../protocol/challenge/proof-extension.ts";
import { answerFor } from "../../protocol/challenge/answer.ts";
import { signChallengeAnswer } from "../../protocol/reports/eip712.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import type { LocalAccount } from "viem";
import { EXTENDED_HANDSHAKE_ID, WireReader, encodeExtended, encodeHandshake, encodeInterested, encodePiece, encodeRequest, encodeUnchoke, type WireMessage } from "../../protocol/wire/messages.ts";
import { createClient, destroyClient } from "../seed/client.ts";

const RELAY_PROOF_ID = 7;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("no port");
  return addr.port;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A peer-wire reader over a Node socket: the handshake first, then messages. */
function onWire(socket: Socket, onHandshake: (infoHash: Uint8Array) => void, onMessage: (m: WireMessage) => void): void {
  const wire = new WireReader();
  let greeted = false;
  socket.on("data", (chunk: Buffer) => {
    try {
      wire.push(new Uint8Array(chunk));
      if (!greeted) {
        const hs = wire.takeHandshake();
        if (!hs) return;
        greeted = true;
        onHandshake(hs.infoHash);
      }
      for (let m = wire.takeMessage(); m; m = wire.takeMessage()) onMessage(m);
    } catch {
      socket.destroy();
    }
  });
  socket.on("error", () => {});
}

export interface RelayNode {
  port: number;
  /** Time (ms) between a block's request and its relay: the distance to the node it is fetched from. */
  delayMs: number;
  /** Blocks and proof answers relayed so far. */
  readonly relayed: { blocks: number; proofs: number };
  close(): Promise<void>;
}

/**
 * A node that claims a torrent it does not hold. For each connection (a challenger or a
 * member) it opens one to `upstream`, an honest node, and relays: requests up, blocks down
 * after `delayMs`, proof requests up and answers down. With no delay it answers as an honest
 * node would: proofs of hosting cannot tell a relay from a copy (DESIGN.md "Trust model").
 */
export async function startRelayNode(o: {
  infoHash: string;
  upstream: { host: string; port: number };
  delayMs: number;
  /** The relay's own registered node key and the torrent's public root: it signs the answers it relays as its own. */
  account?: LocalAccount;
  root?: string;
}): Promise<RelayNode> {
  const infoHash = fromHex(o.infoHash);
  const sockets = new Set<Socket>();
  const relayed = { blocks: 0, proofs: 0 };
  const state = { delayMs: o.delayMs };
  const server = createServer((down) => {
    sockets.add(down);
    down.setNoDelay(true);
    down.on("close", () => sockets.delete(down));
    let downProofId: number | undefined;
    let upProofId: number | undefined;
    let upUnchoked = false;
    const waiting: (() => void)[] = [];
    const whenUp = (f: () => void) => (upUnchoked && upProofId !== undefined ? f() : waiting.push(f));
    const flush = () => {
      if (upUnchoked && upProofId !== undefined) for (const f of waiting.splice(0)) f();
    };
    const pending = new Map<string, number>();
    // What the relay signs for: the leaf hashes of the blocks it passed down, in order, and the challenge asked.
    const leaves: string[] = [];
    let challenge: ChallengeContext | undefined;
    const up = connect(o.upstream.port, o.upstream.host);
    sockets.add(up);
    up.setNoDelay(true);
    up.on("close", () => {
      sockets.delete(up);
      down.destroy();
    });
    down.on("close", () => up.destroy());
    up.on("connect", () => {
      up.write(encodeHandshake(infoHash, binaryToBytes("-WW0208-relayrelay01")));
      up.write(encodeExtended(EXTENDED_HANDSHAKE_ID, encode({ m: { [PROOF_EXTENSION]: RELAY_PROOF_ID }, v: "relay" })));
    });
    let interested = false;
    onWire(up, () => {}, (m) => {
      // webtorrent listens for `interested` only once it has sent its bitfield: say it after that.
      if (!interested && (m.type === "bitfield" || m.type === "other")) {
        interested = true;
        up.write(encodeInterested());
      }
      if (m.type === "unchoke") upUnchoked = true;
      else if (m.type === "choke") upUnchoked = false;
      else if (m.type === "extended" && m.extId === EXTENDED_HANDSHAKE_ID) {
        const id = asDict(asDict(decode(m.payload), "handshake").m ?? {}, "m")[PROOF_EXTENSION];
        if (id !== undefined) upProofId = asInt(id, "id");
      } else if (m.type === "piece") {
        const asked = pending.get(`${m.piece}:${m.begin}`) ?? Date.now();
        pending.delete(`${m.piece}:${m.begin}`);
        setTimeout(() => {
          relayed.blocks++;
          leaves.push(toHex(sha256(m.block)));
          down.write(encodePiece(m.piece, m.begin, m.block));
        }, Math.max(0, asked + state.delayMs - Date.now()));
      } else if (m.type === "extended" && m.extId === RELAY_PROOF_ID && downProofId !== undefined) {
        relayed.proofs++;
        const answer = decodeProofMessage(m.payload);
        if (o.account && o.root && challenge && answer.type === "response") {
          // The source signed with its own key: sign the same blocks as ours.
          const a = answerFor(o.account.address, o.infoHash, challenge, fromHex(o.root), answer.blocks, leaves.slice(0, answer.blocks.length), Date.now());
          const id = downProofId;
          void signChallengeAnswer(o.account, challenge.chainId, a).then((sig) =>
            down.write(encodeExtended(id, encodeProofMessage({ ...answer, answer: { at: a.answeredAt, sig: fromHex(sig.slice(2)) } }))),
          );
        } else down.write(encodeExtended(downProofId, m.payload));
      }
      flush();
    });
    onWire(
      down,
      (ih) => {
        if (!bytesEqual(ih, infoHash)) return void down.destroy();
        down.write(encodeHandshake(infoHash, binaryToBytes("-WW0208-relayrelay02")));
        down.write(encodeExtended(EXTENDED_HANDSHAKE_ID, encode({ m: { [PROOF_EXTENSION]: RELAY_PROOF_ID }, v: "relay" })));
      },
      (m) => {
        if (m.type === "interested") down.write(encodeUnchoke());
        else if (m.type === "extended" && m.extId === EXTENDED_HANDSHAKE_ID) {
          const id = asDict(asDict(decode(m.payload), "handshake").m ?? {}, "m")[PROOF_EXTENSION];
          if (id !== undefined) downProofId = asInt(id, "id");
        } else if (m.type === "request") {
          pending.set(`${m.piece}:${m.begin}`, Date.now());
          whenUp(() => up.write(encodeRequest(m.piece, m.begin, m.length)));
        } else if (m.type === "extended" && m.extId === RELAY_PROOF_ID) {
          const req = decodeProofMessage(m.payload);
          if (req.type === "request" || req.type === "tree-request") challenge = req.challenge;
          whenUp(() => up.write(encodeExtended(upProofId!, m.payload)));
        }
      },
    );
  });
  const port = await listen(server);
  return {
    port,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    relayed,
    close: () => closeServer(server, sockets),
  };
}

/** How a forging seeder answers a request for the path of block `b`. */
export type Forgery = "another block's path" | "truncated path" | "path in another tree";

function forge(tree: StorageTree, other: StorageTree, b: number, how: Forgery): Uint8Array[] {
  if (how === "another block's path") return storageProof(tree, (b + 1) % tree.leafCount);
  if (how === "truncated path") return storageProof(tree, b).slice(0, -1);
  return storageProof(other, b);
}

export interface ForgingSeeder {
  client: WebTorrent;
  port: number;
  forgery: Forgery;
  stop(): Promise<void>;
}

/**
 * A webtorrent seed of the real payload (its blocks verify) whose merkle paths are forged:
 * `tree` is the true storage tree, `other` a tree over other data of the same length.
 */
export async function startForgingSeeder(o: { torrentFile: Uint8Array; dataDir: string; tree: StorageTree; other: StorageTree; forgery: Forgery }): Promise<ForgingSeeder> {
  const state = { forgery: o.forgery };
  class ForgedProof {
    wire: Wire;
    constructor(wire: Wire) {
      this.wire = wire;
    }
    onMessage(buf: Uint8Array): void {
      let req;
      try {
        req = decodeProofMessage(buf);
      } catch {
        return;
      }
      if (req.type !== "request" || !this.wire.peerExtendedMapping[PROOF_EXTENSION]) return;
      const proofs = req.blocks.map((b) => forge(o.tree, o.other, b, state.forgery));
      this.wire.extended(PROOF_EXTENSION, encodeProofMessage({ type: "response", blocks: req.blocks, proofs }));
    }
  }
  (ForgedProof.prototype as unknown as { name: string }).name = PROOF_EXTENSION;
  const client = await createClient({ port: 0 });
  const torrent = client.add(o.torrentFile, { path: o.dataDir, storeCacheSlots: 0 });
  torrent.on("wire", (wire) => wire.use(ForgedProof as unknown as ExtensionConstructor));
  await new Promise<void>((resolve, reject) => {
    torrent.once("error", reject);
    if (torrent.ready) resolve();
    else torrent.once("ready", () => resolve());
  });
  if (!torrent.done) throw new Error("the forging seeder's payload does not pass the piece check");
  return {
    client,
    port: client.torrentPort,
    get forgery() {
      return state.forgery;
    },
    set forgery(f: Forgery) {
      state.forgery = f;
    },
    stop: () => destroyClient(client),
  };
}

export interface FlakyProxy {
  port: number;
  /** Connections accepted so far, the silent ones included. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A TCP proxy to `target` whose first `silentFirst` connections are accepted and never answered. */
export async function startFlakyProxy(target: { host: string; port: number }, o: { silentFirst: number }): Promise<FlakyProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    if (++connections <= o.silentFirst) return; // accepted, then nothing: the challenger's deadline runs out
    const up = connect(target.port, target.host);
    sockets.add(up);
    up.on("close", () => {
      sockets.delete(up);
      client.destroy();
    });
    up.on("error", () => client.destroy());
    client.on("close", () => up.destroy());
    client.pipe(up);
    up.pipe(client);
  });
  const port = await listen(server);
  return {
    port,
    get connections() {
      return connections;
    },
    close: () => closeServer(server, sockets),
  };
}

/**
 * A fetch whose requests the edge sees as coming from `ip`. In production Cloudflare sets
 * CF-Connecting-IP to the connection's address; here every process is 127.0.0.1, so a test
 * names another loopback address (127.0.0.0/8 all reach this machine) in another /24 to put
 * nodes on distinct subnets, which the edge then dials. `record` sees every request body.
 */
export function fetchSeenFrom(ip: string, record?: (path: string, body: string | undefined) => void): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("CF-Connecting-IP", ip);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    record?.(new URL(url).pathname, typeof init.body === "string" ? init.body : undefined);
    return fetch(input, { ...init, headers });
  };
}
