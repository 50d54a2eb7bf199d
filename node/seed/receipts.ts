// Upload receipts on the downloader's side (DESIGN.md "Upload rewards"): nodes name their
// address in their BEP 10 extended handshake (`vidya_node`); the downloader counts the bytes it
// received on each wire of such a peer and signs, per node, the cumulative bytes of this session
// (protocol/reports/eip712.ts UploadReceipt), submitted to the edge (POST /api/receipts) every
// RECEIPT_INTERVAL_BYTES and at the end, and handed to the node over the `vidya_receipt`
// extension (bencoded { message, signature }), so the node can submit it as well (either side
// may: the edge keeps the highest). A peer lying about its address only credits that node.
// `vidya get` signs them, and so does a node fetching a torrent to host it (node/seed/host.ts):
// its bytes are unpaid, so its receipts earn nothing, but they show who served the replica.

import type { ExtensionConstructor, Torrent, Wire } from "webtorrent";
import type { Address, Hex, LocalAccount } from "viem";
import { NODE_EXTENSION, RECEIPT_EXTENSION, RECEIPT_INTERVAL_BYTES } from "../../protocol/params.ts";
import { asBytes, asDict, decode, encode } from "../../protocol/bencode.ts";
import { receiptToJson, signReceipt, type UploadReceipt } from "../../protocol/reports/eip712.ts";
import { toHex } from "../../protocol/hex.ts";
import type { TrackerApi } from "../api.ts";

/** The node address a peer named in its extended handshake, if it is 20 bytes. */
export function nodeAddressOf(handshake: Record<string, unknown> | undefined): Address | undefined {
  const v = handshake?.[NODE_EXTENSION];
  if (v instanceof Uint8Array && v.length === 20) return `0x${toHex(v)}` as Address;
  return undefined;
}

/**
 * The `vidya_node` extension: with `address` (a node), names it in our extended handshake;
 * with `onPeerNode` (a downloader), reports the peer's named address.
 */
export function nodeExtension(opts: { address?: Address; onPeerNode?: (wire: Wire, node: Address) => void }): ExtensionConstructor {
  class VidyaNode {
    wire: Wire;
    constructor(wire: Wire) {
      this.wire = wire;
      if (opts.address) (wire as unknown as { extendedHandshake: Record<string, unknown> }).extendedHandshake[NODE_EXTENSION] = hexBytes(opts.address);
    }
    onExtendedHandshake(handshake: Record<string, unknown>): void {
      const node = nodeAddressOf(handshake);
      if (node && opts.onPeerNode) opts.onPeerNode(this.wire, node);
    }
    onMessage(): void {
      // No messages yet: the address rides in the handshake.
    }
  }
  (VidyaNode.prototype as unknown as { name: string }).name = NODE_EXTENSION;
  return VidyaNode as unknown as ExtensionConstructor;
}

/** Bytes of piece data this wire received (bittorrent-protocol counts them; webtorrent's types omit it). */
const received = (wire: Wire): number => (wire as unknown as { downloaded: number }).downloaded ?? 0;

/** A signed receipt as the `vidya_receipt` message carries it. */
export interface WireReceipt {
  message: Record<string, string>;
  signature: Hex;
}

export function encodeWireReceipt(r: WireReceipt): Uint8Array {
  return encode({ message: r.message, signature: r.signature });
}

/** Decodes a `vidya_receipt` message; undefined when it is not one (the edge checks the rest). */
export function decodeWireReceipt(buf: Uint8Array): WireReceipt | undefined {
  try {
    const d = asDict(decode(buf), "receipt");
    const m = asDict(d.message, "message");
    const text = (v: unknown) => new TextDecoder().decode(asBytes(v as never, "field"));
    const message = Object.fromEntries(["infoHash", "uploader", "downloader", "cumulative", "session", "epoch"].map((k) => [k, text(m[k])]));
    const signature = text(d.signature);
    if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined;
    return { message, signature: signature as Hex };
  } catch {
    return undefined;
  }
}

/**
 * The `vidya_receipt` extension: a downloader registers it to learn whether the node takes
 * receipts; a node passes `onReceipt` to get the ones handed to it. Never throws in the wire.
 */
export function receiptExtension(onReceipt?: (r: WireReceipt, wire: Wire) => void): ExtensionConstructor {
  class VidyaReceipt {
    wire: Wire;
    constructor(wire: Wire) {
      this.wire = wire;
    }
    onMessage(buf: Uint8Array): void {
      const r = decodeWireReceipt(buf);
      if (r && onReceipt) onReceipt(r, this.wire);
    }
  }
  (VidyaReceipt.prototype as unknown as { name: string }).name = RECEIPT_EXTENSION;
  return VidyaReceipt as unknown as ExtensionConstructor;
}

/** Where receipts go: the tracker's POST /api/receipts, for its open epoch. */
export function receiptSink(api: TrackerApi, chainId: number): ReceiptSink {
  return { chainId, openEpoch: () => openEpochOf(api), submit: (m, sig) => api.submitReceipt(m, sig) };
}

/** The epoch receipts are for: the open one, or the one after the last closed while the scheduler has not opened it yet (the edge counts it the same way). */
export async function openEpochOf(api: TrackerApi): Promise<number> {
  try {
    return (await api.openEpoch()).epoch;
  } catch (e) {
    if ((e as { status?: number }).status !== 404) throw e;
    return (await api.epochs()).reduce((m, x) => Math.max(m, x.epoch), 0) + 1;
  }
}

function hexBytes(address: Address): Uint8Array {
  const h = address.slice(2);
  return Uint8Array.from({ length: 20 }, (_, i) => parseInt(h.slice(2 * i, 2 * i + 2), 16));
}

export interface ReceiptSink {
  chainId: number;
  /** The open epoch now (asked again when the edge says it moved on). */
  openEpoch(): Promise<number>;
  submit(message: Record<string, string>, signature: Hex): Promise<void>;
}

/** Counts bytes received per node over a torrent's wires and signs receipts for them. */
export class ReceiptSigner {
  private readonly wires = new Map<Wire, Address>();
  /** Bytes of wires already closed, per node. */
  private readonly closed = new Map<Address, number>();
  private readonly submitted = new Map<Address, number>();
  private epoch: number | undefined;
  readonly session: Hex;
  private readonly infoHash: string;
  private readonly account: LocalAccount;
  private readonly sink: ReceiptSink;
  private readonly warn: (m: string) => void;

  constructor(infoHash: string, account: LocalAccount, sink: ReceiptSink, warn: (m: string) => void = () => {}) {
    this.infoHash = infoHash;
    this.account = account;
    this.sink = sink;
    this.warn = warn;
    this.session = `0x${toHex(crypto.getRandomValues(new Uint8Array(32)))}` as Hex;
  }

  /** Registers the extension on every wire of `torrent` (call right after client.add). */
  attach(torrent: Torrent): void {
    torrent.on("wire", (wire: Wire) => {
      wire.use(nodeExtension({ onPeerNode: (w, node) => this.track(w, node) }));
      wire.use(receiptExtension());
    });
  }

  /** Counts `wire`'s received bytes for `node` (a peer that named itself; attach does this). */
  track(wire: Wire, node: Address): void {
    if (this.wires.has(wire)) return;
    this.wires.set(wire, node);
    wire.once("close", () => {
      this.closed.set(node, (this.closed.get(node) ?? 0) + received(wire));
      this.wires.delete(wire);
    });
  }

  /** Nodes with a receipt submitted this session. */
  receipted(): number {
    return this.submitted.size;
  }

  /** Cumulative bytes received from each node this session. */
  cumulative(): Map<Address, number> {
    const out = new Map(this.closed);
    for (const [wire, node] of this.wires) out.set(node, (out.get(node) ?? 0) + received(wire));
    return out;
  }

  /** Signs and submits the receipts that grew by RECEIPT_INTERVAL_BYTES (all that grew when `final`). Never throws. */
  async flush(final = false): Promise<number> {
    let sent = 0;
    for (const [node, bytes] of this.cumulative()) {
      const last = this.submitted.get(node) ?? 0;
      if (bytes <= last || (!final && bytes - last < RECEIPT_INTERVAL_BYTES)) continue;
      try {
        await this.send(node, bytes);
        this.submitted.set(node, bytes);
        sent++;
      } catch (e) {
        this.warn(`could not submit the upload receipt for node ${node}: ${(e as Error).message}`);
      }
    }
    return sent;
  }

  /** Gives the receipt to the node on its open wires that take `vidya_receipt`. */
  private handOver(node: Address, r: WireReceipt): void {
    for (const [wire, n] of this.wires) {
      if (n !== node || !wire.peerExtendedMapping[RECEIPT_EXTENSION] || (wire as unknown as { destroyed?: boolean }).destroyed) continue;
      try {
        wire.extended(RECEIPT_EXTENSION, encodeWireReceipt(r));
      } catch {
        // a closing wire: the edge gets the receipt from us anyway
      }
    }
  }

  private async send(node: Address, bytes: number, retried = false): Promise<void> {
    this.epoch ??= await this.sink.openEpoch();
    const receipt: UploadReceipt = { infoHash: `0x${this.infoHash}` as Hex, uploader: node, downloader: this.account.address, cumulative: BigInt(bytes), session: this.session, epoch: BigInt(this.epoch) };
    const signature = await signReceipt(this.account, this.sink.chainId, receipt);
    this.handOver(node, { message: receiptToJson(receipt), signature });
    try {
      await this.sink.submit(receiptToJson(receipt), signature);
    } catch (e) {
      // The epoch closed meanwhile: sign for the new one (the edge credits the session's bytes once).
      if (!retried && (e as { code?: string }).code === "wrong_epoch") {
        this.epoch = undefined;
        return this.send(node, bytes, true);
      }
      throw e;
    }
  }
}
