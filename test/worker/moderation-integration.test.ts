// Moderation (UNIT3D's pending/approved/rejected): a member's upload waits for a curator,
// and its announces meanwhile get a failure with a short retry; BEP 27 keeps public torrents
// out of the index whoever uploads them.

import { beforeAll, describe, expect, it } from "vitest";
import { MODERATION_RETRY_SECONDS, PERMANENT_RETRY_SECONDS } from "../../worker/announce/rules.ts";
import { fixture, makeTorrent, payload } from "./support/fixture.ts";
import type { LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { addMember, admin, announce, call, peerId, signedUpload, text } from "./support/worker.ts";

const uploaderWallet = privateKeyToAccount(generatePrivateKey());
const uploader = uploaderWallet.address.toLowerCase();
const other = privateKeyToAccount(generatePrivateKey()).address.toLowerCase();

// Uploads are signed by the member's wallet (a MemberAction "upload"): a passkey does not authorise them.
async function memberUpload(wallet: LocalAccount, f: { torrent: Uint8Array; storageRoot: string }) {
  return signedUpload(wallet, f.torrent, `?storageRoot=${f.storageRoot}`);
}

describe("moderation", () => {
  let pkU: string;
  let pkO: string;
  beforeAll(async () => {
    pkU = await addMember(uploader);
    pkO = await addMember(other);
  });

  it("keeps a member's upload pending: announces fail with a short retry, the index does not list it, only its uploader can fetch it", async () => {
    const f = fixture(30_000, 901, "pending.bin");
    const res = await memberUpload(uploaderWallet, f);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ infoHash: f.infoHash, status: "pending", uploadedBy: uploader });

    const { status, body } = await announce(pkO, { infoHash: f.infoHash, peerId: peerId("mod1"), left: 30_000, event: "started", ip: "10.40.0.1" });
    expect(status).toBe(200);
    expect(text(body["failure reason"])).toMatch(/waiting for moderation/);
    expect(body).toMatchObject({ interval: MODERATION_RETRY_SECONDS, "min interval": MODERATION_RETRY_SECONDS, "retry in": MODERATION_RETRY_SECONDS });

    expect(((await (await call("/api/torrents")).json()) as { infoHash: string }[]).some((t) => t.infoHash === f.infoHash)).toBe(false);
    expect(((await (await admin("/admin/torrents", { method: "GET" })).json()) as { infoHash: string }[]).map((t) => t.infoHash)).toContain(f.infoHash);
    expect((await call(`/${pkU}/torrent/${f.infoHash}`)).status).toBe(200);
    expect((await call(`/${pkO}/torrent/${f.infoHash}`)).status).toBe(404);
  });

  it("opens the torrent once a curator approves it", async () => {
    const f = fixture(30_000, 902, "approved.bin");
    expect((await memberUpload(uploaderWallet, f)).status).toBe(201);
    expect(text((await announce(pkO, { infoHash: f.infoHash, peerId: peerId("mod2"), left: 1, event: "started", ip: "10.40.0.2" })).body["failure reason"])).toMatch(/moderation/);
    const approved = await admin(`/admin/torrents/${f.infoHash}/approve`);
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: "approved" });
    const { body } = await announce(pkO, { infoHash: f.infoHash, peerId: peerId("mod2"), left: 1, event: "started", ip: "10.40.0.2" });
    expect(body["failure reason"]).toBeUndefined();
    expect(((await (await call("/api/torrents")).json()) as { infoHash: string }[]).some((t) => t.infoHash === f.infoHash)).toBe(true);
  });

  it("fails a rejected torrent for good (BEP 31 retry in: never)", async () => {
    const f = fixture(30_000, 903, "rejected.bin");
    expect((await memberUpload(uploaderWallet, f)).status).toBe(201);
    expect((await admin(`/admin/torrents/${f.infoHash}/reject`)).status).toBe(200);
    const { body } = await announce(pkO, { infoHash: f.infoHash, peerId: peerId("mod3"), left: 1, event: "started", ip: "10.40.0.3" });
    expect(text(body["failure reason"])).toMatch(/rejected/);
    expect(body.interval).toBe(PERMANENT_RETRY_SECONDS);
    expect(text(body["retry in"])).toBe("never");
  });

  it("refuses a public torrent from a member too (BEP 27), and an upload signed by a wallet that is no member", async () => {
    const res = await memberUpload(uploaderWallet, { torrent: makeTorrent(payload(20_000, 904), { private: false }), storageRoot: "00".repeat(32) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "not_private" } });
    expect((await memberUpload(privateKeyToAccount(generatePrivateKey()), fixture(20_000, 905))).status).toBe(403);
  });

  it("answers an info hash that is in no index with the failure clients know: Unregistered torrent", async () => {
    const { body } = await announce(pkO, { infoHash: "c0".repeat(20), peerId: peerId("mod5"), left: 1, event: "started", ip: "10.40.0.5" });
    expect(text(body["failure reason"])).toBe("Unregistered torrent");
  });
});
