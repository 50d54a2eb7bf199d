// The seeder's side of a challenge over a real TCP socket (Node), just enough for the
// worker's challenger: handshake, BEP 10 handshake advertising vidya_proof, unchoke on
// interested, pieces on request, merkle paths on a proof request (a v2 file's tree on a tree
// request), signed by the node key the challenger names when the seeder holds it
// (seeder-keys.ts). Like a real node it signs the hashes of the blocks it served on this
// connection, so `corrupt`, which flips a byte of every block served while sending honest paths,
// is a signed wrong block: the slashable kind of failure.

import { createServer, type Server, type Socket } from "node:net";
import { asDict, asInt, decode, encode } from "../../../protocol/bencode.ts";
import { binaryToBytes, bytesEqual, toHex } from "../../../protocol/hex.ts";
import { storageProof, type StorageTree } from "../../../protocol/merkle/storage-tree.ts";
import { PROOF_EXTENSION } from "../../../protocol/params.ts";
import { decodeProofMessage, encodeProofMessage, type SignedAnswer } from "../../../protocol/challenge/proof-extension.ts";
import { signAnswer } from "../../../protocol/challenge/answer.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import type { LocalAccount } from "viem";
import { EXTENDED_HANDSHAKE_ID, WireReader, encodeExtended, encodeHandshake, encodePiece, encodeUnchoke } from "../../../protocol/wire/messages.ts";

const OUR_PROOF_ID = 3;

export interface SeederOptions {
  infoHash: Uint8Array;
  /** The payload in the torrent's piece space. */
  data: Uint8Array;
  pieceLength: number;
  /** The whole-payload storage tree (v1 proof requests). */
  tree: StorageTree;
  corrupt?: boolean;
  /** Per-file trees by pieces root (hex), for v2 tree requests (BEP 52). */
  trees?: Map<string, StorageTree>;
  /** Closes connections 1, 3, 5…: every challenge's first try fails, its retry finds the seeder. */
  dropFirstOfEachPair?: boolean;
  /** Node keys by address: the seeder signs a challenge's answer with the key of the node the challenger names, when it holds it. */
  keyring?: Map<string, LocalAccount>;
}

function serve(socket: Socket, o: SeederOptions) {
  const wire = new WireReader();
  let greeted = false;
  let remoteProofId: number | undefined;
  /** Leaf hashes of the blocks served on this connection, oldest first: what its answer signs. */
  const served: string[] = [];
  socket.on("error", () => {});
  socket.on("data", (chunk: Buffer) => {
    try {
      wire.push(new Uint8Array(chunk));
      if (!greeted) {
        const hs = wire.takeHandshake();
        if (!hs) return;
        if (!bytesEqual(hs.infoHash, o.infoHash)) return void socket.destroy();
        greeted = true;
        socket.write(encodeHandshake(o.infoHash, binaryToBytes("-WW0208-testseeder01")));
        socket.write(encodeExtended(EXTENDED_HANDSHAKE_ID, encode({ m: { [PROOF_EXTENSION]: OUR_PROOF_ID }, v: "test-seeder" })));
      }
      for (let m = wire.takeMessage(); m; m = wire.takeMessage()) {
        if (m.type === "interested") socket.write(encodeUnchoke());
        else if (m.type === "request") {
          const offset = m.piece * o.pieceLength + m.begin;
          const block = o.data.slice(offset, offset + m.length);
          if (o.corrupt) block[0] = block[0]! ^ 0xff;
          served.push(toHex(sha256(block)));
          socket.write(encodePiece(m.piece, m.begin, block));
        } else if (m.type === "extended" && m.extId === EXTENDED_HANDSHAKE_ID) {
          const d = asDict(decode(m.payload), "extension handshake");
          const id = d.m ? asDict(d.m, "m")[PROOF_EXTENSION] : undefined;
          if (id !== undefined) remoteProofId = asInt(id, "id");
        } else if (m.type === "extended" && m.extId === OUR_PROOF_ID && remoteProofId !== undefined) {
          const req = decodeProofMessage(m.payload);
          if (req.type !== "request" && req.type !== "tree-request") continue;
          const tree = req.type === "tree-request" ? o.trees?.get(toHex(req.root)) : o.tree;
          if (!tree) {
            socket.write(encodeExtended(remoteProofId, encodeProofMessage({ type: "reject", reason: "no such tree" })));
            continue;
          }
          const proofs = req.blocks.map((b) => storageProof(tree, b));
          const key = req.challenge ? o.keyring?.get(`0x${toHex(req.challenge.node)}`) : undefined;
          const respond = (answer?: SignedAnswer) => {
            if (!socket.destroyed) socket.write(encodeExtended(remoteProofId!, encodeProofMessage({ type: "response", blocks: req.blocks, proofs, answer })));
          };
          if (key && req.challenge) signAnswer(key, toHex(o.infoHash), req.challenge, tree, req.blocks, Date.now(), served).then(respond, () => socket.destroy());
          else respond();
        }
      }
    } catch {
      socket.destroy();
    }
  });
}

export async function startSeeder(o: SeederOptions): Promise<{ port: number; server: Server }> {
  let connections = 0;
  const server = createServer((s) => {
    if (o.dropFirstOfEachPair && ++connections % 2 === 1) return void s.destroy();
    serve(s, o);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("seeder has no port");
  return { port: addr.port, server };
}
