// The streamed inputs (protocol/epoch/stream.ts) are the committed bytes: a close that publishes
// them in parts must post the same inputsHash `vidya verify` recomputes from the whole text.

import { describe, expect, it } from "vitest";
import { canonicalJson, inputsHash } from "../epoch/inputs.ts";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "viem";
import { canonicalParts, canonicalPartsAsync, canonicalPieces, checkpointOf, hashOfChunks, resumeHash, StreamedArray, streamedInputsHash, streamedInputsHashAsync } from "../epoch/stream.ts";

const sample = {
  epoch: 7,
  zeta: undefined,
  challenges: Array.from({ length: 300 }, (_, i) => ({ node: `0x${i.toString(16).padStart(40, "0")}`, verdict: i % 7 ? "pass" : "fail", blocks: ["aa", "bb"], nested: { deep: { deeper: [i, null, true] } } })),
  settlement: { leaves: [{ account: "0xab", cumulative: 12n }], totals: { earned: 10n ** 24n }, empty: [], none: {} },
  names: ["é", "漢字", "emoji 🎉", 'quote " and \\ backslash', "\u0001"],
  seed: null,
};

describe("streamed canonical inputs", () => {
  it("yields exactly canonicalJson's text and hash, unicode and undefined keys included (attack: a published file that does not hash to the posted inputsHash)", async () => {
    expect([...canonicalPieces(sample)].join("")).toBe(canonicalJson(sample));
    expect(streamedInputsHash(sample, 64)).toBe(inputsHash(sample));
    const text = new TextEncoder().encode(canonicalJson(sample));
    async function* one() {
      yield text.subarray(0, 5);
      yield text.subarray(5);
    }
    expect(await hashOfChunks(one())).toBe(inputsHash(sample));
  });

  it("cuts parts of exactly the part size but the last, whose bytes rejoin the whole (attack: R2 refuses uneven multipart parts, or bytes lost at a cut inside a multi-byte character)", () => {
    for (const size of [1, 7, 100, 4096]) {
      const parts = [...canonicalParts(sample, size)].map((p) => Uint8Array.from(p));
      for (const p of parts.slice(0, -1)) expect(p.length).toBe(size);
      expect(parts.at(-1)!.length).toBeLessThanOrEqual(size);
      expect(parts.at(-1)!.length).toBeGreaterThan(0);
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) joined.set(p, (at += p.length) - p.length);
      expect(new TextDecoder().decode(joined)).toBe(canonicalJson(sample));
    }
  });

  it("hashes across invocations from a recorded checkpoint to the same inputsHash, at any cut (attack: a close split in steps posting a hash of other bytes than it published)", () => {
    const bytes = new TextEncoder().encode(canonicalJson(sample));
    for (const cuts of [[0], [1, 135], [136, 137, 5000], [bytes.length - 1]]) {
      let h = keccak_256.create();
      let at = 0;
      for (const cut of cuts) {
        h.update(bytes.subarray(at, cut));
        at = cut;
        // Through JSON, as a D1 row would carry it, into a fresh hasher.
        h = resumeHash(JSON.parse(JSON.stringify(checkpointOf(h))));
      }
      h.update(bytes.subarray(at));
      expect(bytesToHex(h.digest())).toBe(inputsHash(sample));
    }
    expect(() => resumeHash({ state: "0x00", pos: 0 })).toThrow(RangeError);
  });

  it("writes an array read page by page (the close's challenges from D1) as the same bytes and hash as the whole array, at any part size and page cut (attack: a published file streamed from D1 that differs from the committed inputs)", async () => {
    const rows = sample.challenges;
    for (const cut of [[], [1], [7, 150, 299], [300]]) {
      let reads = 0;
      const streamed = new StreamedArray(async function* () {
        reads++;
        let at = 0;
        for (const c of [...cut, rows.length]) {
          yield rows.slice(at, c);
          at = c;
        }
      });
      const lazy = { ...sample, challenges: streamed };
      expect(await streamedInputsHashAsync(lazy, 64)).toBe(inputsHash(sample));
      for (const size of [1, 100, 4096]) {
        const parts: Uint8Array[] = [];
        for await (const p of canonicalPartsAsync(lazy, size)) parts.push(Uint8Array.from(p));
        for (const p of parts.slice(0, -1)) expect(p.length).toBe(size);
        expect(new TextDecoder().decode(Buffer.concat(parts))).toBe(canonicalJson(sample));
      }
      expect(reads).toBe(4);
    }
    // An empty stream is an empty array; one nested deeper than the stream depth is refused, not written as an object.
    expect(await streamedInputsHashAsync({ a: new StreamedArray(async function* () {}) })).toBe(inputsHash({ a: [] }));
    await expect(streamedInputsHashAsync({ a: { b: { c: { d: new StreamedArray(async function* () {}) } } } })).rejects.toThrow(TypeError);
  });

  it("writes the settlement's lists read page by page (inputs.settlement.hosting.replicas, three deep) as the same bytes as the whole lists (attack: a published breakdown that differs from the committed one)", async () => {
    const replicas = Array.from({ length: 50 }, (_, i) => ({ node: `0x${i}`, infoHash: `${i % 7}`, weight: BigInt(i) * 10n ** 20n }));
    const pages = (xs: typeof replicas) =>
      new StreamedArray(async function* () {
        for (let i = 0; i < xs.length; i += 9) yield xs.slice(i, i + 9);
      });
    const whole = { epoch: 3, settlement: { pools: { paid: 5n }, hosting: { totalWeight: 9n, replicas }, upload: { credits: replicas.slice(3), perMember: { "0xa": 1n } } } };
    const lazy = { ...whole, settlement: { ...whole.settlement, hosting: { ...whole.settlement.hosting, replicas: pages(replicas) }, upload: { ...whole.settlement.upload, credits: pages(replicas.slice(3)) } } };
    const parts: Uint8Array[] = [];
    for await (const p of canonicalPartsAsync(lazy, 100)) parts.push(Uint8Array.from(p));
    expect(new TextDecoder().decode(Buffer.concat(parts))).toBe(canonicalJson(whole));
    expect(await streamedInputsHashAsync(lazy)).toBe(inputsHash(whole));
  });
});
