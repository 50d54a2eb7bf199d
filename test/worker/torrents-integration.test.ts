import { describe, expect, it } from "vitest";
import { asDict, decode } from "../../protocol/bencode.ts";
import { parseTorrent } from "../../protocol/torrent.ts";
import { fixture, makeTorrent, payload } from "./support/fixture.ts";
import { addMember, admin, call, text, uploadTorrent } from "./support/worker.ts";

describe("torrent index", () => {
  const f = fixture(90_000, 41, "index.bin");

  it("rejects a torrent that is not private, with a clear JSON error", async () => {
    const res = await uploadTorrent({ torrent: makeTorrent(payload(40_000, 42), { private: false }), storageRoot: "00".repeat(32) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "not_private", message: expect.stringMatching(/private/) } });
  });

  it("rejects garbage, a missing storage root and a missing admin token", async () => {
    expect((await uploadTorrent({ torrent: new TextEncoder().encode("not bencode"), storageRoot: f.storageRoot })).status).toBe(400);
    expect((await admin("/api/torrents", { body: f.torrent })).status).toBe(400);
    expect((await call(`/api/torrents?storageRoot=${f.storageRoot}`, { method: "POST", body: f.torrent })).status).toBe(401);
  });

  it("stores a private torrent and lists it", async () => {
    const res = await uploadTorrent(f);
    expect(res.status).toBe(201);
    // A v1 root is the curator's until nodes confirm it (POST /api/nodes/roots).
    const json = { infoHash: f.infoHash, name: "index.bin", length: 90_000, pieceLength: 32_768, storageRoot: f.storageRoot, files: [{ path: "", length: 90_000 }], version: "v1", rootStatus: "published", rootConfirmedAt: null,
      status: "approved", category: "other", description: "", uploadedBy: null, freeleech: false, neutral: false, doubleUpload: false, seeders: 0, leechers: 0, snatches: 0 };
    expect(await res.json()).toEqual(json);
    expect(await (await call(`/api/torrents/${f.infoHash}`)).json()).toEqual(json);
    expect(await (await call("/api/torrents")).json()).toContainEqual(json);
    expect((await uploadTorrent(f)).status).toBe(409);
    expect((await call(`/api/torrents/${"0".repeat(40)}`)).status).toBe(404);
  });

  it("serves the .torrent with the member's own announce URL and the same info hash", async () => {
    const pk = await addMember("0x0000000000000000000000000000000000000d0c");
    const res = await call(`/${pk}/torrent/${f.infoHash}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/x-bittorrent");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(text(asDict(decode(bytes), "torrent").announce)).toBe(`http://tracker.test/${pk}/announce`);
    expect(parseTorrent(bytes).infoHash).toBe(f.infoHash);
    expect((await call(`/ffffffffffffffffffffffffffffffff/torrent/${f.infoHash}`)).status).toBe(403);
  });
});
