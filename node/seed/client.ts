// webtorrent wiring: hermetic clients (no DHT, LSD, PEX, NAT traversal or web seeds; our
// private tracker is the only source of peers), seeding with the proof extension on every
// wire, and downloads as a member.

import type { LocalAccount } from "viem";
import type { Server, Socket } from "node:net";
import WebTorrent, { type Torrent, type Wire } from "webtorrent";
import type { ProofMessage } from "../../protocol/challenge/proof-extension.ts";
import { proofExtension, type TreeLookup } from "../challenge/proof-extension.ts";
import { nodeExtension, receiptExtension, type WireReceipt } from "./receipts.ts";
import type { Address } from "viem";

export interface ClientOptions {
  /** TCP port to listen on for peers (and the edge's challenges); 0 picks a free one. */
  port: number;
}

/** Options that keep a client to our tracker alone (STYLE.md: hermetic clients). */
export const HERMETIC = { dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, webSeeds: false, utp: false } as const;

/** A listening client; rejects when the port cannot be bound. */
export function createClient(opts: ClientOptions): Promise<WebTorrent> {
  const client = new WebTorrent({ ...HERMETIC, torrentPort: opts.port });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      client.removeListener("listening", onListening);
      reject(new Error(`cannot listen on port ${opts.port}: ${err.message}`));
    };
    const onListening = () => {
      client.removeListener("error", onError);
      // Nagle's algorithm against the peer's delayed ACK stalls each exchange of small
      // messages by ~40 ms: a challenge answered in 4 ms took 90 (bench/proofs.ts). webtorrent
      // leaves sockets as they come, so incoming peer connections get TCP_NODELAY here.
      const server = (client as unknown as { _connPool?: { tcpServer?: Server } })._connPool?.tcpServer;
      server?.prependListener("connection", (socket: Socket) => {
        socket.setNoDelay(true);
        corkPerTick(socket);
      });
      resolve(client);
    };
    client.once("error", onError);
    client.once("listening", onListening);
  });
}

/**
 * Writes made in one tick leave in one writev: with Nagle off, webtorrent's piece message went
 * out as two segments (its 13-byte header, then the block), and its handshake, extension
 * handshake and bitfield as three; a challenge's 16 blocks each paid the extra segment.
 */
export function corkPerTick(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: Parameters<Socket["write"]>) {
    if (!corked && !this.destroyed) {
      corked = true;
      this.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args as never);
  } as Socket["write"];
}

export function destroyClient(client: WebTorrent): Promise<void> {
  return new Promise((resolve) => client.destroy(() => resolve()));
}

export interface SeedOptions {
  /** The folder holding the payload (data/), as webtorrent's `path`. */
  path: string;
  lookup: TreeLookup;
  onProofAnswer?: (infoHash: string, m: ProofMessage, peer: string) => void;
  onWarning?: (infoHash: string, message: string) => void;
  /** The node's address, named in its extended handshake (`vidya_node`) so downloaders can receipt it. */
  nodeAddress?: Address;
  /** Receipts downloaders hand to the node (`vidya_receipt`): the node submits them too. */
  onReceipt?: (r: WireReceipt) => void;
  /** A peer named its node address (`vidya_node`): a node fetching to host receipts the bytes it gets from it. */
  onPeerNode?: (wire: Wire, node: Address) => void;
  /** The registered node key: signs every challenge answer (a pass needs it). */
  signer?: LocalAccount;
  /** The payload was checked already (saved piece state, node/storage/resume.ts): webtorrent hashes nothing. */
  skipVerify?: boolean;
}

/**
 * Adds a torrent whose payload is on disk and waits until webtorrent has checked the v1
 * piece hashes. Resolves with the torrent (check `done`: false means pieces are missing).
 */
export function seedTorrent(client: WebTorrent, torrentFile: Uint8Array, opts: SeedOptions): Promise<Torrent> {
  // No piece cache: a challenge must be answered from what is on disk now.
  const torrent = client.add(torrentFile, { path: opts.path, storeCacheSlots: 0, skipVerify: opts.skipVerify ?? false });
  attachProofExtension(torrent, opts);
  return whenReady(torrent);
}

export function attachProofExtension(torrent: Torrent, opts: Pick<SeedOptions, "lookup" | "onProofAnswer" | "onWarning" | "nodeAddress" | "onReceipt" | "signer" | "onPeerNode">): void {
  torrent.on("wire", (wire) => {
    const ext = proofExtension(torrent.infoHash, opts.lookup, (m, w) => opts.onProofAnswer?.(torrent.infoHash, m, w.remoteAddress ?? "?"), opts.signer);
    wire.use(ext);
    // Downloaders sign upload receipts for the node they learn of here (receipts.ts).
    // One `vidya_node` per wire: it names us and, while we fetch, reports the peer's name.
    if (opts.nodeAddress || opts.onPeerNode) wire.use(nodeExtension({ address: opts.nodeAddress, onPeerNode: opts.onPeerNode }));
    if (opts.onReceipt) wire.use(receiptExtension((r) => opts.onReceipt!(r)));
  });
  torrent.on("warning", (err: Error) => opts.onWarning?.(torrent.infoHash, err.message));
}

function whenReady(torrent: Torrent): Promise<Torrent> {
  return new Promise((resolve, reject) => {
    if (torrent.ready) return resolve(torrent);
    const onError = (err: Error) => reject(err);
    torrent.once("error", onError);
    torrent.once("ready", () => {
      torrent.removeListener("error", onError);
      resolve(torrent);
    });
  });
}

export interface DownloadOptions {
  path: string;
  onProgress?: (t: Torrent) => void;
  progressIntervalMs?: number;
  onWarning?: (message: string) => void;
  /** Called right after the torrent is added, before any wire: where extensions are attached. */
  onTorrent?: (t: Torrent) => void;
}

/** Downloads through the torrent's own announce URL (our tracker) and resolves when every piece is verified. */
export async function downloadTorrent(client: WebTorrent, torrentFile: Uint8Array, opts: DownloadOptions): Promise<Torrent> {
  const torrent = client.add(torrentFile, { path: opts.path });
  opts.onTorrent?.(torrent);
  if (opts.onWarning) torrent.on("warning", (err: Error) => opts.onWarning!(err.message));
  await whenReady(torrent);
  if (torrent.done) return torrent;
  const timer = opts.onProgress ? setInterval(() => opts.onProgress!(torrent), opts.progressIntervalMs ?? 1000) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      torrent.once("done", () => resolve());
      torrent.once("error", (err: Error) => reject(err));
    });
  } finally {
    if (timer) clearInterval(timer);
  }
  opts.onProgress?.(torrent);
  return torrent;
}
