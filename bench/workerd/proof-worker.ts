// The verifier's side of bench/proofs.ts, run inside workerd: block proofs of 16 KiB
// blocks against the tree of a 4 GiB payload (262 144 blocks, 18 sibling hashes a proof), as
// the edge does for every challenged block. The tree is built once from random leaves, with
// the real hashes of a few real blocks; the client times `n` verifications from outside
// (workerd's clock does not advance during computation).

import { BLOCK_SIZE } from "../../protocol/params.ts";
import { buildStorageTree, hashBlock, storageProof, verifyBlockProof, verifyBlockProofAsync, type StorageTree } from "../../protocol/merkle/storage-tree.ts";

const TOTAL = 4 * 1024 ** 3;
const SAMPLES = 16;

interface Fixture {
  tree: StorageTree;
  blocks: { index: number; block: Uint8Array; proof: Uint8Array[] }[];
}

let fixture: Fixture | undefined;

function build(): Fixture {
  const leaves = TOTAL / BLOCK_SIZE;
  const flat = new Uint8Array(leaves * 32);
  for (let o = 0; o < flat.length; o += 65_536) crypto.getRandomValues(flat.subarray(o, o + 65_536));
  const picks: { index: number; block: Uint8Array }[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const block = new Uint8Array(BLOCK_SIZE);
    for (let o = 0; o < BLOCK_SIZE; o += 65_536) crypto.getRandomValues(block.subarray(o, Math.min(o + 65_536, BLOCK_SIZE)));
    const index = Math.floor((i * leaves) / SAMPLES) + 7;
    flat.set(hashBlock(block), index * 32);
    picks.push({ index, block });
  }
  const tree = buildStorageTree(flat, TOTAL);
  return { tree, blocks: picks.map((p) => ({ ...p, proof: storageProof(tree, p.index) })) };
}

export default {
  // ?mode=async: the edge's path (block hashed by WebCrypto, parents by sha256Pair);
  // ?mode=sync: everything in JavaScript (@noble/hashes for the block).
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    fixture ??= build();
    const n = Number(url.searchParams.get("n") ?? "0");
    const sync = url.searchParams.get("mode") === "sync";
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const b = fixture.blocks[i % SAMPLES]!;
      const good = sync ? verifyBlockProof(fixture.tree.root, TOTAL, b.index, b.block, b.proof) : await verifyBlockProofAsync(fixture.tree.root, TOTAL, b.index, b.block, b.proof);
      if (good) ok++;
    }
    return Response.json({ n, ok, depth: fixture.blocks[0]!.proof.length });
  },
};
