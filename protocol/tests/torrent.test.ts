import { describe, expect, it } from "vitest";
import createTorrent from "create-torrent";
import parseTorrentReference from "parse-torrent";
import { decode, encode, asDict } from "../bencode.ts";
import { parseTorrent, withAnnounce } from "../torrent.ts";
import { utf8Decode } from "../hex.ts";

function make(files: { name: string; data: Buffer }[], opts: Record<string, unknown>): Promise<Uint8Array> {
  const input = files.map((f) => Object.assign(Buffer.from(f.data), { name: f.name }));
  return new Promise((resolve, reject) =>
    createTorrent(input.length === 1 ? input[0] : input, { announceList: [["http://t/x/announce"]], pieceLength: 32768, ...opts }, (err: Error | null, t: Buffer) =>
      err ? reject(err) : resolve(new Uint8Array(t)),
    ),
  );
}

describe("parseTorrent", () => {
  it("computes the same info hash, length and files as parse-torrent for a private multi-file torrent", async () => {
    const bytes = await make(
      [
        { name: "a.bin", data: Buffer.alloc(40_000, 1) },
        { name: "b.bin", data: Buffer.alloc(70_001, 2) },
      ],
      { name: "set", private: true },
    );
    const ours = parseTorrent(bytes);
    const ref = await parseTorrentReference(Buffer.from(bytes));
    expect(ours.infoHash).toBe(ref.infoHash);
    expect(ours.length).toBe(110_001);
    expect(ours.private).toBe(true);
    expect(ours.files.map((f) => f.length)).toEqual([40_000, 70_001]);
    expect(ours.pieceCount).toBe(Math.ceil(110_001 / 32768));
  });

  it("withAnnounce changes the announce but never the info hash", async () => {
    const bytes = await make([{ name: "one.bin", data: Buffer.alloc(20_000, 3) }], { private: true });
    const next = withAnnounce(bytes, "http://edge/abc/announce");
    expect(parseTorrent(next).infoHash).toBe(parseTorrent(bytes).infoHash);
    const root = asDict(decode(next), "t");
    expect(utf8Decode(root.announce as Uint8Array)).toBe("http://edge/abc/announce");
    expect(root["announce-list"]).toBeUndefined();
  });

  it("rejects unsafe paths and mismatched piece counts", () => {
    const base = { name: "x", "piece length": 16384, pieces: new Uint8Array(20) };
    expect(() => parseTorrent(encode({ info: { ...base, files: [{ path: [".."], length: 1 }] } }))).toThrow(/safe path/);
    expect(() => parseTorrent(encode({ info: { ...base, length: 40_000 } }))).toThrow(/piece count/);
    expect(() => parseTorrent(encode({ info: { ...base, name: "../x", length: 1 } }))).toThrow(/safe name/);
  });
});
