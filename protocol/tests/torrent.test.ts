import { describe, expect, it } from "vitest";
import createTorrent from "create-torrent";
import parseTorrentReference from "parse-torrent";
import { decode, encode, asDict } from "../bencode.ts";
import { TorrentBoundError, checkPieceLength, parseTorrent, withAnnounce, withoutPeerSources } from "../torrent.ts";
import { MAX_PIECE_LENGTH, MAX_TORRENT_LENGTH } from "../params.ts";
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

/** The error parseTorrent throws for these bytes (undefined when it parses). */
function refusal(bytes: Uint8Array): unknown {
  try {
    parseTorrent(bytes);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("parseTorrent bounds every number before use", () => {
  const base = { name: "x", "piece length": 16384, private: 1 };

  it("refuses a v1 torrent whose files sum past 2^53 bytes (attack: one crafted upload stops every challenge)", () => {
    // Each length is a safe integer; their sum is not, and used to be stored as an inexact length.
    const half = 2 ** 52 + 1;
    const files = [{ path: ["a"], length: half }, { path: ["b"], length: half }];
    const e = refusal(encode({ info: { ...base, files, pieces: new Uint8Array(20) } }));
    expect(e).toBeInstanceOf(TorrentBoundError);
    expect((e as TorrentBoundError).field).toBe("length");
    // A single file past the bound too, and the bound itself is not refused for its length.
    expect((refusal(encode({ info: { ...base, length: MAX_TORRENT_LENGTH + 1, pieces: new Uint8Array(20) } })) as TorrentBoundError).field).toBe("length");
    expect(refusal(encode({ info: { ...base, length: MAX_TORRENT_LENGTH, pieces: new Uint8Array(20) } }))).toSatisfy((x: unknown) => !(x instanceof TorrentBoundError));
  });

  it("refuses piece lengths outside 16 KiB..256 MiB and non-multiples of 16 KiB (attack: oversized piece length)", () => {
    for (const pl of [0, -16384, 8192, 16384 + 1, MAX_PIECE_LENGTH * 2, 2 ** 36, 2 ** 32 + 16384]) expect(() => checkPieceLength(pl, false), String(pl)).toThrow(TorrentBoundError);
    for (const pl of [16384, 3 * 16384, MAX_PIECE_LENGTH]) expect(() => checkPieceLength(pl, false)).not.toThrow();
    // v2 needs a true power of two: 2^32 + 16384 wraps to 16384 under a 32-bit `&`.
    for (const pl of [3 * 16384, 2 ** 32 + 16384, 2 ** 36]) expect(() => checkPieceLength(pl, true), String(pl)).toThrow(TorrentBoundError);
    expect(() => checkPieceLength(2 ** 20, true)).not.toThrow();
    const e = refusal(encode({ info: { ...base, "piece length": 2 ** 36, length: 1, pieces: new Uint8Array(20) } }));
    expect((e as TorrentBoundError).field).toBe("piece length");
  });

  it("refuses names and paths with control or bidi-override characters (attack: a name that reads as another)", () => {
    const one = { ...base, length: 1, pieces: new Uint8Array(20) };
    expect(() => parseTorrent(encode({ info: { ...one, name: "song\u202E4pm.exe" } }))).toThrow(/bidirectional/);
    expect(() => parseTorrent(encode({ info: { ...one, name: "a\u0007b" } }))).toThrow(/control/);
    expect(() => parseTorrent(encode({ info: { ...base, pieces: new Uint8Array(20), files: [{ path: ["dir", "x\u2067y"], length: 1 }] } }))).toThrow(/info.files\[0\].path/);
    expect(() => parseTorrent(encode({ info: { ...base, pieces: new Uint8Array(20), files: [{ path: ["x\ny"], length: 1 }] } }))).toThrow(/control/);
    // Ordinary non-ASCII names pass.
    expect(parseTorrent(encode({ info: { ...one, name: "Ōkami (日本) — édition" } })).name).toBe("Ōkami (日本) — édition");
  });

  it("strips web seeds and DHT nodes from a private torrent without changing its info hash (attack: peer sources beside the tracker, BEP 27)", async () => {
    const bytes = await make([{ name: "one.bin", data: Buffer.alloc(20_000, 3) }], { private: true });
    const root = asDict(decode(bytes), "t");
    const seeded = encode({ ...(root as Record<string, Uint8Array>), "url-list": ["http://seed.example/x"], httpseeds: ["http://seed.example/y"], nodes: [["203.0.113.5", 6881]] });
    const clean = withoutPeerSources(seeded);
    const out = asDict(decode(clean), "t");
    expect(out["url-list"]).toBeUndefined();
    expect(out.httpseeds).toBeUndefined();
    expect(out.nodes).toBeUndefined();
    expect(out.announce).toBeDefined();
    expect(parseTorrent(clean).infoHash).toBe(parseTorrent(bytes).infoHash);
    expect(parseTorrent(seeded).infoHash).toBe(parseTorrent(bytes).infoHash);
    // Nothing to strip: the very same bytes.
    expect(withoutPeerSources(bytes)).toBe(bytes);
  });
});
