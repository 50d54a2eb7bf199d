import { describe, expect, it } from "vitest";
import type { Hex } from "viem";
import { chainedBlock, chainedBlocks, followsChain } from "../challenge/chain.ts";
import { BLOCK_SIZE } from "../params.ts";

const r = `0x${"12".repeat(32)}` as Hex;
const ih = "ab".repeat(20);
const len = 1000 * BLOCK_SIZE + 7;
const leaves = Array.from({ length: 15 }, (_, i) => (i + 16).toString(16).repeat(32).slice(0, 64));

describe("chained challenge blocks", () => {
  it("derives block 0 from the randomness alone and each next block from the previous leaf hash", () => {
    const chain = chainedBlocks(r, ih, len, leaves, 16);
    expect(chain).toHaveLength(16);
    expect(chain[0]).toBe(chainedBlock(r, ih, len, 0, null));
    expect(chain[5]).toBe(chainedBlock(r, ih, len, 5, leaves[4]!));
    expect(chain.every((b) => Number.isInteger(b) && b >= 0 && b < 1001)).toBe(true);
  });

  it("changes the rest of the chain when one block's bytes change (attack: precomputing the chain without the data)", () => {
    const other = [...leaves];
    other[3] = "ff".repeat(32);
    const a = chainedBlocks(r, ih, len, leaves, 16);
    const b = chainedBlocks(r, ih, len, other, 16);
    expect(b.slice(0, 4)).toEqual(a.slice(0, 4));
    expect(b.slice(4)).not.toEqual(a.slice(4));
  });

  it("accepts only the chain the served hashes imply, complete for a pass (attack: edge choosing the blocks)", () => {
    const blocks = chainedBlocks(r, ih, len, leaves, 16);
    expect(followsChain(r, ih, len, blocks, leaves.concat(["01".repeat(32)]), 16, true)).toBe(true);
    expect(followsChain(r, ih, len, [...blocks].reverse(), leaves.concat(["01".repeat(32)]), 16, true)).toBe(false);
    // A timed-out chain may stop early; a pass may not.
    expect(followsChain(r, ih, len, blocks.slice(0, 5), leaves.slice(0, 4), 16, false)).toBe(true);
    expect(followsChain(r, ih, len, blocks.slice(0, 5), leaves.slice(0, 4), 16, true)).toBe(false);
    expect(followsChain(r, ih, len, blocks.slice(0, 5), leaves.slice(0, 3), 16, false)).toBe(false);
  });

  it("refuses a later block without a previous leaf", () => {
    expect(() => chainedBlock(r, ih, len, 1, null)).toThrow(RangeError);
  });
});

describe("chained blocks, the fast encoding", () => {
  it("hashes exactly the ABI encoding viem makes, for random inputs (attack: edge and verify disagreeing on the chain)", async () => {
    const { chainHashForTests } = await import("../challenge/chain.ts");
    const hex = (n: number) => `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString("hex")}` as Hex;
    for (let i = 0; i < 200; i++) {
      const k = i === 0 ? 0xffff_ffff : Math.floor(Math.random() * 2 ** 32);
      const [ra, ih, leaf] = [hex(32), hex(20), hex(32)];
      expect(chainHashForTests.fast(ra, ih, k, leaf)).toBe(chainHashForTests.abi(ra, ih, k, leaf));
    }
    // Mixed case and missing 0x give the same block as lowercase.
    expect(chainedBlock(r.toUpperCase().replace("0X", "0x") as Hex, ih.toUpperCase(), len, 1, `0x${leaves[0]!.toUpperCase()}`)).toBe(chainedBlock(r, ih, len, 1, leaves[0]!));
  });

  it("still refuses malformed randomness, info hash or leaf (not silently hashed short)", () => {
    expect(() => chainedBlock(`0x${"12".repeat(31)}` as Hex, ih, len, 0, null)).toThrow();
    expect(() => chainedBlock(r, "ab".repeat(19), len, 0, null)).toThrow();
    expect(() => chainedBlock(r, ih, len, 1, "ab".repeat(31))).toThrow();
  });
});
