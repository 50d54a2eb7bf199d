// The challenger against a scripted in-memory peer: every verdict the edge can reach.
// The real seeder (webtorrent with the proof extension) is exercised in node/ and end to end.
import { describe, expect, it } from "vitest";
import { encode } from "../bencode.ts";
import { BLOCK_SIZE, PROOF_EXTENSION } from "../params.ts";
import { StorageTreeBuilder, storageProof, type StorageTree } from "../merkle/storage-tree.ts";
import { encodeExtended, encodeHandshake, encodePiece, encodeUnchoke, EXTENDED_HANDSHAKE_ID, WireReader } from "../wire/messages.ts";
import { decodeProofMessage, encodeProofMessage } from "../challenge/proof-extension.ts";
import { runChallenge, pickBlocks, type ChallengeSpec } from "../challenge/client.ts";
import { signAnswer } from "../challenge/answer.ts";
import { chainedBlocks } from "../challenge/chain.ts";
import { toHex } from "../hex.ts";
import { nodeSigned } from "../reports/eip712.ts";
import type { Hex, LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

const PIECE = 4 * BLOCK_SIZE;
const payload = Uint8Array.from({ length: 9 * BLOCK_SIZE + 500 }, (_, i) => (i * 7 + 3) & 0xff);
const tree = new StorageTreeBuilder().update(payload).finish();
const infoHash = new Uint8Array(20).fill(0xab);

interface PeerBehaviour {
  infoHash?: Uint8Array;
  corrupt?: boolean;
  silentAfterHandshake?: boolean;
  noExtension?: boolean;
  wrongTree?: StorageTree;
  /** Signs answers with this key (a node's registered key, or another's). */
  signer?: LocalAccount;
  /** Holds every block this long before sending it: a relay fetching it from a source this far away. */
  blockDelayMs?: number;
}

/** A duplex pair: the challenger's stream and a scripted peer answering on the other side. */
function scriptedPeer(b: PeerBehaviour) {
  // Buffered like a socket: both sides may write before the other reads.
  const strategy = { highWaterMark: 1 << 20, size: (c: Uint8Array) => c.length };
  const buffered = () => new TransformStream<Uint8Array, Uint8Array>(undefined, strategy, strategy);
  const toPeer = buffered();
  const toChallenger = buffered();
  const out = toChallenger.writable.getWriter();
  (async () => {
    const wire = new WireReader();
    const reader = toPeer.readable.getReader();
    let proofId = 0;
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      wire.push(r.value);
      if (wire.takeHandshake()) {
        await out.write(encodeHandshake(b.infoHash ?? infoHash, new Uint8Array(20).fill(1)));
        if (b.silentAfterHandshake) continue;
        await out.write(encodeExtended(EXTENDED_HANDSHAKE_ID, encode({ m: b.noExtension ? {} : { [PROOF_EXTENSION]: 3 } })));
        await out.write(encodeUnchoke());
      }
      for (let m = wire.takeMessage(); m; m = wire.takeMessage()) {
        if (b.silentAfterHandshake) continue;
        if (m.type === "extended" && m.extId === EXTENDED_HANDSHAKE_ID) proofId = 1;
        if (m.type === "request") {
          const start = m.piece * PIECE + m.begin;
          const block = payload.slice(start, start + m.length);
          if (b.corrupt) block[0] = block[0]! ^ 0xff;
          if (b.blockDelayMs) await new Promise((r) => setTimeout(r, b.blockDelayMs));
          await out.write(encodePiece(m.piece, m.begin, block));
        }
        if (m.type === "extended" && m.extId === 3) {
          const req = decodeProofMessage(m.payload);
          if (req.type !== "request") continue;
          const t = b.wrongTree ?? tree;
          const answer = b.signer && req.challenge ? await signAnswer(b.signer, toHex(infoHash), req.challenge, t, req.blocks) : undefined;
          await out.write(encodeExtended(proofId, encodeProofMessage({ type: "response", blocks: req.blocks, proofs: req.blocks.map((x) => storageProof(t, x)), answer })));
        }
      }
    }
  })().catch(() => {}); // the challenger cancels the stream when it is done
  return { readable: toChallenger.readable, writable: toPeer.writable };
}

const spec = (over: Partial<ChallengeSpec> = {}): ChallengeSpec => ({
  infoHash,
  peerId: new Uint8Array(20).fill(2),
  storageRoot: tree.root,
  totalLength: payload.length,
  pieceLength: PIECE,
  blocks: [0, 5, 9],
  deadlineMs: 1_000,
  ...over,
});

describe("runChallenge", () => {
  it("passes an honest peer, including the short last block", async () => {
    const r = await runChallenge(scriptedPeer({}), spec());
    expect(r.verdict).toBe("pass");
    expect(r.blockHashes).toHaveLength(3);
  });

  it("fails a peer that serves a corrupted block", async () => {
    const r = await runChallenge(scriptedPeer({ corrupt: true }), spec());
    expect(r.verdict).toBe("fail");
    expect(r.reason).toMatch(/does not verify/);
  });

  it("fails a peer whose paths come from another tree", async () => {
    const other = new StorageTreeBuilder().update(payload.map((x) => x ^ 1)).finish();
    const r = await runChallenge(scriptedPeer({ wrongTree: other }), spec());
    expect(r.verdict).toBe("fail");
  });

  it("times out a peer that goes silent after the handshake", async () => {
    const r = await runChallenge(scriptedPeer({ silentAfterHandshake: true }), spec({ deadlineMs: 200 }));
    expect(r.verdict).toBe("timeout");
    expect(r.handshakeMs).toBeDefined();
  });

  it("refuses a handshake for another info hash and a peer without the extension", async () => {
    expect((await runChallenge(scriptedPeer({ infoHash: new Uint8Array(20) }), spec())).verdict).toBe("refused");
    const r = await runChallenge(scriptedPeer({ noExtension: true }), spec());
    expect(r.verdict).toBe("refused");
    expect(r.reason).toMatch(/vidya_proof/);
  });

  it("picks distinct blocks within range", () => {
    const random = Uint8Array.from({ length: 64 }, (_, i) => (i * 97) & 0xff);
    const picked = pickBlocks(10, 3, random);
    expect(new Set(picked).size).toBe(3);
    expect(picked.every((b) => b >= 0 && b < 10)).toBe(true);
    expect(pickBlocks(2, 5, random).sort()).toEqual([0, 1]);
  });
});

describe("chained, signed challenges", () => {
  const node = privateKeyToAccount(generatePrivateKey());
  const randomness = `0x${"5a".repeat(32)}` as Hex;
  const challenge = { node: node.address.toLowerCase(), chainId: 31337, epoch: 2, round: 1, beacon: `0x${"33".repeat(32)}` as Hex, nonce: `0x${"44".repeat(32)}` as Hex };
  const chained = (over: Partial<ChallengeSpec> = {}) =>
    spec({ blocks: undefined, chain: { randomness, infoHash: toHex(infoHash), count: 8 }, challenge, deadlineMs: 5_000, ...over });

  it("fetches each block from the last one's leaf hash, and the node's signature over them verifies", async () => {
    const r = await runChallenge(scriptedPeer({ signer: node }), chained());
    expect(r.verdict).toBe("pass");
    expect(r.blocks).toHaveLength(8);
    expect(r.blocks).toEqual(chainedBlocks(randomness, toHex(infoHash), payload.length, r.blockHashes, 8));
    const t = { node: challenge.node, infoHash: toHex(infoHash), epoch: 2, round: 1, blockHash: challenge.beacon, nonce: challenge.nonce, root: toHex(tree.root), blocks: r.blocks, blockHashes: r.blockHashes, answeredAt: r.answeredAt!, nodeSignature: r.nodeSignature! };
    expect(await nodeSigned(31337, t as never)).toBe(true);
    expect(await nodeSigned(31337, { ...t, nonce: `0x${"45".repeat(32)}` } as never)).toBe(false);
  });

  it("does not pass a node that answers through another node's port: signed with the wrong key (attack: port sharing)", async () => {
    const other = privateKeyToAccount(generatePrivateKey());
    const r = await runChallenge(scriptedPeer({ signer: other }), chained());
    expect(r.verdict).toBe("refused");
    expect(r.reason).toMatch(/not signed by node/);
  });

  it("does not pass an answer with no signature (attack: an edge passing a node that did not answer)", async () => {
    const r = await runChallenge(scriptedPeer({}), chained());
    expect(r.verdict).toBe("refused");
    expect(r.reason).toMatch(/did not sign/);
  });

  it("times out a relay whose source is 100 ms away: the chain costs it a round trip per block (attack: relay)", async () => {
    const r = await runChallenge(scriptedPeer({ signer: node, blockDelayMs: 100 }), chained({ budget: { rttCapMs: 200, slackMs: 60 } }));
    expect(r.verdict).toBe("timeout");
    expect(r.reason).toMatch(/over their budget/);
    // The same answers within the slack pass: the budget is per block, not for the whole chain at once.
    expect((await runChallenge(scriptedPeer({ signer: node, blockDelayMs: 5 }), chained({ budget: { rttCapMs: 200, slackMs: 60 } }))).verdict).toBe("pass");
  });
});
