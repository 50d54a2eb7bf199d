// The client allow-list by peer-id prefix: the real peer ids of the clients members use are
// admitted, others are refused with a reason that says what is allowed, and admins can refuse
// a prefix, allow one, or attach a warning, the longest prefix deciding.

import { beforeAll, describe, expect, it } from "vitest";
import { fixture } from "./support/fixture.ts";
import { addMember, admin, announce, text, uploadTorrent } from "./support/worker.ts";

const enc = (s: string) => new TextEncoder().encode(s.padEnd(20, "x").slice(0, 20));

// Peer ids as these clients send them (their source and this machine's Debian packages).
const REAL = {
  "qBittorrent 4.5.2": "-qB4520-k8pQ2vZ0aTrM",
  "Transmission 3.00": "-TR3000-5fy0k2hq1xws",
  "rTorrent 0.9.8": "-lt0D80-\x8a\x01\x7f\x00\xffabcdefg",
  "aria2 1.36.0": "A2-1-36-0-\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a",
  "WebTorrent 2.x": "-WW0208-Zk3u9Qm2xP0a",
  "Deluge 2.1": "-DE211s-7Hq2mZp0aB9c",
};

describe("client allow-list", () => {
  const f = fixture(25_000, 910, "clients.bin");
  let pk: string;
  beforeAll(async () => {
    pk = await addMember("0x000000000000000000000000000000000000c1e0");
    expect((await uploadTorrent(f)).status).toBe(201);
  });

  it("admits the peer ids of qBittorrent, Transmission, rTorrent, aria2, WebTorrent and Deluge", async () => {
    let i = 0;
    for (const [client, id] of Object.entries(REAL)) {
      const pid = Uint8Array.from(id, (c) => c.charCodeAt(0));
      const { body } = await announce(pk, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: `10.50.0.${++i}` });
      expect(body["failure reason"], client).toBeUndefined();
      await announce(pk, { infoHash: f.infoHash, peerId: pid, left: 0, event: "stopped", port: 0, ip: `10.50.0.${i}` });
    }
  });

  it("refuses an unknown client with a reason that names it and what is allowed", async () => {
    const { status, body } = await announce(pk, { infoHash: f.infoHash, peerId: enc("-XX1234-evil"), left: 0, event: "started", ip: "10.50.1.1" });
    expect(status).toBe(200);
    const reason = text(body["failure reason"]);
    expect(reason).toMatch(/^Your client is not on the allow-list \(peer id -XX1234-\)/);
    expect(reason).toMatch(/qBittorrent, Transmission, rTorrent/);
    expect(text(body["retry in"])).toBe("never");
    // Random bytes are no client at all.
    const junk = await announce(pk, { infoHash: f.infoHash, peerId: Uint8Array.from({ length: 20 }, (_, i) => 0x80 + i), left: 0, ip: "10.50.1.2" });
    expect(text(junk.body["failure reason"])).toMatch(/allow-list \(peer id \\x80/);
  });

  it("lets an admin refuse a version, warn another, and allow a new client; the longest prefix decides", async () => {
    const put = (prefix: string, rule: object) => admin(`/admin/clients/${encodeURIComponent(prefix)}`, { method: "PUT", body: JSON.stringify(rule), headers: { "Content-Type": "application/json" } });
    expect((await put("-qB43", { name: "qBittorrent 4.3", allowed: false })).status).toBe(200);
    expect((await put("-TR3", { name: "Transmission 3", allowed: true, warning: "Transmission 3 stops working here on 1 March: update to 4" })).status).toBe(200);
    expect((await put("-XX", { name: "XX client", allowed: true })).status).toBe(200);

    const old = await announce(pk, { infoHash: f.infoHash, peerId: enc("-qB4380-old"), left: 0, event: "started", ip: "10.50.2.1" });
    expect(text(old.body["failure reason"])).toMatch(/not on the allow-list/);
    const current = await announce(pk, { infoHash: f.infoHash, peerId: enc("-qB4520-new"), left: 0, event: "started", ip: "10.50.2.2" });
    expect(current.body["failure reason"]).toBeUndefined();
    const warned = await announce(pk, { infoHash: f.infoHash, peerId: enc("-TR3000-warn"), left: 0, event: "started", ip: "10.50.2.3" });
    expect(text(warned.body["warning message"])).toMatch(/update to 4/);
    const xx = await announce(pk, { infoHash: f.infoHash, peerId: enc("-XX1234-ok"), left: 0, event: "started", ip: "10.50.2.4" });
    expect(xx.body["failure reason"]).toBeUndefined();

    // Back to the defaults.
    expect((await admin(`/admin/clients/${encodeURIComponent("-XX")}`, { method: "DELETE" })).status).toBe(200);
    const gone = await announce(pk, { infoHash: f.infoHash, peerId: enc("-XX1234-ok2"), left: 0, event: "started", ip: "10.50.2.5" });
    expect(text(gone.body["failure reason"])).toMatch(/not on the allow-list/);
    expect((await admin("/admin/clients", { method: "PUT", body: "{}" })).status).toBe(404);
  });
});
