import { beforeAll, describe, expect, it } from "vitest";
import { asDict, decode } from "../../protocol/bencode.ts";
import { binaryToBytes, bytesToBinary, fromHex } from "../../protocol/hex.ts";
import { fixture } from "./support/fixture.ts";
import { addMember, announce, call, pct, peerId, text, uploadTorrent } from "./support/worker.ts";

describe("scrape", () => {
  // Info hashes in different shards (first bytes differ) and one unregistered.
  const torrents = [fixture(40_000, 21, "s1.bin"), fixture(40_000, 22, "s2.bin"), fixture(40_000, 23, "s3.bin")];
  let pk: string;

  beforeAll(async () => {
    pk = await addMember("0x00000000000000000000000000000000000005c7");
    for (const t of torrents) expect((await uploadTorrent(t)).status).toBe(201);
    await announce(pk, { infoHash: torrents[0]!.infoHash, peerId: peerId("p1"), left: 0, ip: "10.1.0.1" });
    await announce(pk, { infoHash: torrents[0]!.infoHash, peerId: peerId("p2"), left: 7, ip: "10.1.0.2" });
    await announce(pk, { infoHash: torrents[1]!.infoHash, peerId: peerId("p3"), left: 7, ip: "10.1.0.3" });
  });

  it("reports complete, incomplete and downloaded for several info hashes at once", async () => {
    const unknown = "ab".repeat(20);
    const q = [...torrents.map((t) => t.infoHash), unknown].map((h) => `info_hash=${pct(fromHex(h))}`).join("&");
    const res = await call(`/${pk}/scrape?${q}`);
    expect(res.status).toBe(200);
    const files = asDict(asDict(decode(new Uint8Array(await res.arrayBuffer())), "scrape").files, "files");
    const stats = (h: string) => files[bytesToBinary(fromHex(h))];
    expect(stats(torrents[0]!.infoHash)).toEqual({ complete: 1, incomplete: 1, downloaded: 0, downloaders: 1 });
    expect(stats(torrents[1]!.infoHash)).toEqual({ complete: 0, incomplete: 1, downloaded: 0, downloaders: 1 });
    expect(stats(torrents[2]!.infoHash)).toEqual({ complete: 0, incomplete: 0, downloaded: 0, downloaders: 0 });
    expect(stats(unknown)).toBeUndefined();
    expect(Object.keys(files).map((k) => binaryToBytes(k).length)).toEqual([20, 20, 20]);
  });

  it("refuses a full scrape and an unknown passkey with bencoded failures", async () => {
    const full = asDict(decode(new Uint8Array(await (await call(`/${pk}/scrape`)).arrayBuffer())), "r");
    expect(text(full["failure reason"])).toMatch(/full scrape/);
    const res = await call(`/ffffffffffffffffffffffffffffffff/scrape?info_hash=${pct(fromHex(torrents[0]!.infoHash))}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/passkey/);
  });
});
