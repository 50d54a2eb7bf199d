import { describe, expect, it } from "vitest";
import { QueryError, parseAnnounce, parseRawQuery, parseScrape, percentDecodeBytes, rawQueryOf } from "../../worker/announce/query.ts";
import { parseIp } from "../../worker/swarm/ip.ts";
import { binaryToBytes } from "../../protocol/hex.ts";
import { pct } from "./support/worker.ts";

const pid = pct(new TextEncoder().encode("-qB4650-abcdefghijkl"));

describe("raw query decoding", () => {
  it("round-trips every byte value 0..255 in info_hash, in either hex case", () => {
    for (let start = 0; start < 256; start += 20) {
      const bytes = Uint8Array.from({ length: 20 }, (_, i) => (start + i) % 256);
      for (const upper of [false, true]) {
        const q = parseAnnounce(`info_hash=${pct(bytes, upper)}&peer_id=${pid}&port=1&left=0`);
        expect(Array.from(binaryToBytes(q.infoHash))).toEqual(Array.from(bytes));
      }
    }
  });

  it("takes unescaped URL-safe characters as themselves", () => {
    const q = parseAnnounce(`info_hash=abcdefghij0123456789&peer_id=${pid}&port=1&left=0`);
    expect(q.infoHash).toBe("abcdefghij0123456789");
  });

  it("keeps + as a literal plus, not a space", () => {
    expect(Array.from(percentDecodeBytes("a+b"))).toEqual([0x61, 0x2b, 0x62]);
    const q = parseAnnounce(`info_hash=+++++++++++++++++++%20&peer_id=${pid}&port=1&left=0`);
    expect(q.infoHash.charCodeAt(0)).toBe(0x2b);
    expect(q.infoHash.charCodeAt(19)).toBe(0x20);
  });

  it("does not collide two info hashes that differ only in invalid UTF-8 bytes", () => {
    const a = parseAnnounce(`info_hash=${"%ff".repeat(20)}&peer_id=${pid}&port=1&left=0`).infoHash;
    const b = parseAnnounce(`info_hash=${"%fe".repeat(20)}&peer_id=${pid}&port=1&left=0`).infoHash;
    expect(a).not.toEqual(b);
  });

  it("fails cleanly on a bad escape", () => {
    expect(() => percentDecodeBytes("%zz")).toThrow(QueryError);
    expect(() => percentDecodeBytes("abc%4")).toThrow(QueryError);
    expect(() => percentDecodeBytes("%")).toThrow(QueryError);
  });

  it("rejects an info_hash that is not 20 bytes", () => {
    expect(() => parseAnnounce(`info_hash=${"%aa".repeat(19)}&peer_id=${pid}&port=1&left=0`)).toThrow(/20 bytes/);
    expect(() => parseAnnounce(`info_hash=${"%aa".repeat(21)}&peer_id=${pid}&port=1&left=0`)).toThrow(/20 bytes/);
  });

  it("ignores unknown parameters and keeps repeated ones in order", () => {
    const p = parseRawQuery("a=1&b=2&a=3&key=%DE%AD&flag");
    expect(p.get("a")!.map((v) => new TextDecoder().decode(v))).toEqual(["1", "3"]);
    expect(p.get("flag")).toEqual([new Uint8Array(0)]);
    const q = parseAnnounce(`info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=6881&left=5&supportcrypto=1&key=abc&event=started&numwant=999`);
    expect(q).toMatchObject({ port: 6881, left: 5, event: "started", numwant: 200, uploaded: 0 });
  });

  it("accepts port=0 only with event=stopped", () => {
    expect(() => parseAnnounce(`info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=0&left=0`)).toThrow(/port/);
    expect(parseAnnounce(`info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=0&left=0&event=stopped&numwant=0`).event).toBe("stopped");
  });

  it("rejects negative or non-numeric counters", () => {
    expect(() => parseAnnounce(`info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=1&left=-1`)).toThrow(/left/);
    expect(() => parseAnnounce(`info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=1&left=0&uploaded=1e9`)).toThrow(/uploaded/);
  });

  // Regressions found by the announce fuzz (announce-fuzz.test.ts, seed 20260301).
  it("does not fail an announce over a malformed escape in a parameter it ignores", () => {
    const base = `info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=6881&left=5`;
    expect(parseAnnounce(`${base}&ipv6=fe80::1%eth0&key=8838d8A%z3&%zz=1&supportcrypto=%`)).toMatchObject({ port: 6881, left: 5 });
    expect(parseScrape(`info_hash=${"%01".repeat(20)}&trackerid=%`)).toHaveLength(1);
    // A parameter it reads still has to be well formed.
    expect(() => parseAnnounce(`${base}&event=%`)).toThrow(QueryError);
    expect(() => parseAnnounce(`info_hash=${"%01".repeat(19)}%0&peer_id=${pid}&port=1&left=0`)).toThrow(QueryError);
  });

  it("gives an absurd numwant the most peers, not the default", () => {
    const base = `info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=6881&left=5`;
    expect(parseAnnounce(`${base}&numwant=1000000`).numwant).toBe(200);
    expect(parseAnnounce(`${base}&numwant=99999999999999999999999`).numwant).toBe(200);
    expect(parseAnnounce(`${base}&numwant=-1`).numwant).toBe(50);
  });

  it("reads counters written with leading zeros", () => {
    const q = parseAnnounce(`info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=0006881&left=00000000000000000000005&uploaded=0000000000000000000`);
    expect(q).toMatchObject({ port: 6881, left: 5, uploaded: 0 });
    expect(() => parseAnnounce(`info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=1&left=9007199254740992`)).toThrow(/left/);
  });

  it("reads compact=0, no_peer_id and an echoed tracker id, and never fails over them", () => {
    const base = `info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=6881&left=5`;
    expect(parseAnnounce(base)).toMatchObject({ compact: true, noPeerId: false, trackerId: 0 });
    expect(parseAnnounce(`${base}&compact=0&no_peer_id=1&trackerid=1790000000123`)).toMatchObject({ compact: false, noPeerId: true, trackerId: 1790000000123 });
    expect(parseAnnounce(`${base}&compact=%&no_peer_id=%zz&trackerid=abc`)).toMatchObject({ compact: true, noPeerId: false, trackerId: 0 });
  });

  it("ignores ip=, ipv4= and ipv6= (BEP 7: the edge's view of the address is used)", () => {
    const q = parseAnnounce(`info_hash=${"%01".repeat(20)}&peer_id=${pid}&port=6881&left=5&ip=203.0.113.9&ipv4=203.0.113.9&ipv6=2001:db8::9`);
    expect(Object.keys(q).some((k) => /ip/i.test(k))).toBe(false);
  });

  it("reads the raw query without the fragment and scrape hashes all", () => {
    expect(rawQueryOf("http://x/a/announce?info_hash=%00#frag")).toBe("info_hash=%00");
    expect(parseScrape(`info_hash=${"%01".repeat(20)}&info_hash=${"%02".repeat(20)}`)).toHaveLength(2);
  });
});

describe("edge addresses", () => {
  it("parses IPv4, IPv6 and IPv4-mapped IPv6", () => {
    expect(Array.from(parseIp("10.0.0.7")!)).toEqual([10, 0, 0, 7]);
    expect(parseIp("2001:db8::1")!.length).toBe(16);
    expect(Array.from(parseIp("2001:db8::1")!.slice(0, 4))).toEqual([0x20, 0x01, 0x0d, 0xb8]);
    expect(Array.from(parseIp("::ffff:192.0.2.1")!)).toEqual([192, 0, 2, 1]);
    expect(parseIp("256.1.1.1")).toBeUndefined();
    expect(parseIp("not an ip")).toBeUndefined();
  });
});
