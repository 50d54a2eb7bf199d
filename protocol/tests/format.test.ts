import { describe, expect, it } from "vitest";
import { formatBytes, parseSize } from "../format.ts";

describe("parseSize", () => {
  it("reads SI and IEC sizes as operators write them (finding: --storage-cap 5GB refused)", () => {
    expect(parseSize("5GB")).toBe(5_000_000_000);
    expect(parseSize("5 GiB")).toBe(5 * 2 ** 30);
    expect(parseSize("500MB")).toBe(500_000_000);
    expect(parseSize("500mb")).toBe(500_000_000);
    expect(parseSize("1.5 TB")).toBe(1_500_000_000_000);
    expect(parseSize("2k")).toBe(2_000);
    expect(parseSize("64KiB")).toBe(65_536);
    expect(parseSize("5000000")).toBe(5_000_000);
    expect(parseSize("7 B")).toBe(7);
    expect(parseSize("1.5")).toBe(1);
  });

  it("round-trips what formatBytes prints", () => {
    expect(parseSize(formatBytes(5_000_000_000))).toBe(5_000_000_000);
  });

  it("refuses what is not a size, with the accepted forms in the message", () => {
    for (const bad of ["", "GB", "5 GG", "-5GB", "5e9", "five GB", "1,5GB", "9999999 TB"]) expect(() => parseSize(bad), bad).toThrow(/not a size|too large/);
    expect(() => parseSize("5 GG")).toThrow(/5GB, 5 GiB, 500MB/);
  });
});
