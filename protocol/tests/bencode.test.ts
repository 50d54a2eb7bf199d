import { describe, expect, it } from "vitest";
import { BencodeError, decode, decodeWithSpans, encode, type BInput } from "../bencode.ts";
import { binaryToBytes, bytesToBinary, utf8Encode } from "../hex.ts";

const enc = (s: string) => binaryToBytes(s);

describe("bencode", () => {
  it("round-trips every byte value in strings and keys", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const key = bytesToBinary(all.subarray(128));
    const v = decode(encode({ [key]: all, list: [all, 0, -1, 2n ** 64n] }));
    expect(v).toEqual({ [key]: all, list: [all, 0, -1, 2n ** 64n] });
  });

  it("sorts dictionary keys by raw bytes", () => {
    expect(bytesToBinary(encode({ b: 1, a: 2, B: 3, "\u00ff": 4 }))).toBe("d1:Bi3e1:ai2e1:bi1e1:\u00ffi4ee");
  });

  it("round-trips random structures", () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const gen = (d: number): BInput => {
      const r = rnd();
      if (d > 3 || r < 0.3) return Math.floor(rnd() * 2e9) - 1e9;
      if (r < 0.6) return Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
      if (r < 0.8) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(d + 1));
      const o: Record<string, BInput> = {};
      for (let i = 0; i < rnd() * 4; i++) o[`k${Math.floor(rnd() * 100)}`] = gen(d + 1);
      return o;
    };
    for (let i = 0; i < 500; i++) {
      const v = gen(0);
      const once = encode(v);
      expect(encode(decode(once) as BInput)).toEqual(once);
    }
  });

  it.each([
    ["i-0e", /invalid integer/],
    ["i03e", /invalid integer/],
    ["ie", /invalid integer/],
    ["i12", /unterminated/],
    ["5:abc", /past the end/],
    ["-1:a", /unexpected byte/],
    ["d1:bi1e1:ai2ee", /not sorted/],
    ["d1:ai1e1:ai2ee", /not sorted or repeated/],
    ["di1ei2ee", /key is not a string/],
    ["l", /unterminated list|unexpected end/],
    ["i1ei2e", /trailing/],
    ["", /unexpected end/],
    ["x", /unexpected byte/],
  ])("rejects %j with a clear error", (input, message) => {
    expect(() => decode(enc(input))).toThrow(BencodeError);
    expect(() => decode(enc(input))).toThrow(message);
  });

  it("rejects absurd nesting without overflowing the stack", () => {
    expect(() => decode(enc("l".repeat(10_000) + "e".repeat(10_000)))).toThrow(/too deep/);
  });

  it("reports the byte span of each top-level value", () => {
    const bytes = utf8Encode("d8:announce3:url4:infod4:name1:xee");
    const { spans } = decodeWithSpans(bytes);
    expect(bytesToBinary(bytes.subarray(...spans.info!))).toBe("d4:name1:xe");
  });
});
