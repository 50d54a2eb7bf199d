import { describe, expect, inject, it } from "vitest";
import type { Transcript } from "../../protocol/challenge/transcript.ts";
import { BLOCK_SIZE } from "../../protocol/params.ts";
import { fromHex } from "../../protocol/hex.ts";
import { makeV2Torrent } from "./support/v2-torrent.ts";
import { admin, call, registerHosting } from "./support/worker.ts";

interface IndexedTorrent {
  infoHash: string;
  version: string;
  rootStatus: string;
  storageRoot: string;
  length: number;
  v2Files: { path: string; length: number; piecesRoot: string; offset: number }[];
}

async function publish(torrent: Uint8Array): Promise<Response> {
  return admin("/api/torrents", { body: torrent, headers: { "Content-Type": "application/x-bittorrent" } });
}

describe("v2 and hybrid torrents (BEP 52): the info dict's per-file roots are the commitment", () => {
  const hybrid = Uint8Array.from(atob(inject("hybridTorrent")), (c) => c.charCodeAt(0));
  let indexed: IndexedTorrent;

  it("indexes libtorrent's hybrid torrent without a curator's root, its roots confirmed by the info hash", async () => {
    const res = await publish(hybrid);
    expect(res.status).toBe(201);
    indexed = (await res.json()) as IndexedTorrent;
    expect(indexed).toMatchObject({ infoHash: "8e9b3e472c12bfb406b6e43f20423c3da91536c5", version: "hybrid", rootStatus: "confirmed", storageRoot: "" });
    expect(indexed.v2Files.map((f) => [f.path, f.length, f.offset])).toEqual([
      ["disc/track01.bin", 83_154, 0],
      ["readme.txt", 20_000, 3 * 2 * BLOCK_SIZE],
    ]);
  });

  it("indexes a v2-only torrent under its truncated SHA-256 info hash", async () => {
    const v2 = makeV2Torrent([{ path: ["solo.bin"], data: new Uint8Array(50_000).fill(7) }], { name: "solo.bin", pieceLength: 2 * BLOCK_SIZE });
    const res = await publish(v2.torrent);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ infoHash: v2.meta.infoHashV2!.slice(0, 40), version: "v2", rootStatus: "confirmed", length: 50_000 });
  });

  it("challenges a hybrid torrent's node in one file's own tree, at the file's place in the piece space", async () => {
    const node = await registerHosting(inject("hybridSeederPort"), indexed.infoHash);
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const res = await admin(`/admin/challenges/run?node=${node}`);
      const [t] = ((await res.json()) as { results: Transcript[] }).results as [Transcript];
      expect(t).toMatchObject({ verdict: "pass", attempts: 1 });
      const file = indexed.v2Files[t.file!]!;
      expect(t.root).toBe(file.piecesRoot);
      expect(t.offset).toBe(file.offset);
      expect(t.treeLength).toBe(file.length);
      expect(Math.max(...t.blocks)).toBeLessThan(Math.ceil(file.length / BLOCK_SIZE));
      expect(fromHex(t.root)).toHaveLength(32);
      seen.add(t.file!);
    }
    expect(seen.size).toBeGreaterThanOrEqual(1);
    expect((await call(`/api/nodes/${node}`)).status).toBe(200);
  });
});
