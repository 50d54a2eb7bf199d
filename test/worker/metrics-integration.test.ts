// GET /metrics: Prometheus text format, behind a bearer token; counters kept by the swarm
// shards (and shipped to them by the isolates for requests refused before any shard), summed
// here over the shard label.

import { beforeAll, describe, expect, it } from "vitest";
import { fixture } from "./support/fixture.ts";
import { ADMIN_TOKEN, addMember, announce, call, flushShard, peerId, uploadTorrent } from "./support/worker.ts";

/** Sum of a family's samples whose labels include `match`. */
function total(text: string, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_][a-z0-9_]*)(\{[^}]*\})? (-?[0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? "").matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

describe("GET /metrics", () => {
  const f = fixture(30_000, 960, "metrics.bin");
  let pk: string;
  beforeAll(async () => {
    pk = await addMember("0x00000000000000000000000000000000000e7c11");
    expect((await uploadTorrent(f)).status).toBe(201);
  });

  it("refuses a scrape without the token", async () => {
    expect((await call("/metrics")).status).toBe(401);
    expect((await call("/metrics", { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
  });

  it("counts announces, failures by reason, sessions, bytes and flushes, in valid exposition format", async () => {
    await announce(pk, { infoHash: f.infoHash, peerId: peerId("m1"), left: 0, event: "started", ip: "10.80.0.1" });
    await announce(pk, { infoHash: f.infoHash, peerId: peerId("m1"), left: 0, uploaded: 5_000, ip: "10.80.0.1" });
    await announce(pk, { infoHash: f.infoHash, peerId: peerId("m2"), left: 30_000, event: "started", ip: "10.80.0.2" });
    await announce("0123456789abcdef0123456789abcdef", { infoHash: f.infoHash, peerId: peerId("m3"), left: 0, ip: "10.80.0.3" });
    await announce(pk, { infoHash: "ee".repeat(20), peerId: peerId("m4"), left: 0, ip: "10.80.0.4" });
    await announce(pk, { infoHash: f.infoHash, peerId: new TextEncoder().encode("-ZZ0001-notallowed!!"), left: 0, ip: "10.80.0.5" });
    await call(`/${pk}/announce?info_hash=%zz`);
    await flushShard(f.infoHash);

    const res = await call("/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();

    // Every line is a comment or a sample; each family is described once, before its samples.
    const seen = new Set<string>();
    for (const line of text.trimEnd().split("\n")) {
      if (line.startsWith("# HELP ")) continue;
      const type = /^# TYPE ([a-z_][a-z0-9_]*) (counter|gauge)$/.exec(line);
      if (type) {
        expect(seen.has(type[1]!), `${type[1]} typed twice`).toBe(false);
        seen.add(type[1]!);
        continue;
      }
      expect(line).toMatch(/^[a-z_][a-z0-9_]*(\{([a-z_]+="[^"]*",?)+\})? -?[0-9.e+-]+$/);
      expect(seen.has(line.split(/[{ ]/)[0]!), line).toBe(true);
    }

    // Every announce that parsed reached a shard (it resolves passkeys and torrents); the malformed one did not.
    expect(total(text, "vidya_announces_total")).toBe(6);
    expect(total(text, "vidya_announce_requests_total")).toBe(3);
    expect(total(text, "vidya_announce_failures_total", { reason: "unknown_passkey" })).toBe(1);
    expect(total(text, "vidya_announce_failures_total", { reason: "unregistered" })).toBe(1);
    expect(total(text, "vidya_announce_failures_total", { reason: "client_not_allowed" })).toBe(1);
    expect(total(text, "vidya_announce_failures_total", { reason: "malformed" })).toBe(1);
    expect(total(text, "vidya_announce_outcomes_total", { outcome: "credited" })).toBe(1);
    expect(total(text, "vidya_sessions_started_total")).toBe(2);
    expect(total(text, "vidya_bytes_total", { direction: "uploaded", figure: "actual" })).toBe(5_000);
    expect(total(text, "vidya_flushes_total")).toBeGreaterThanOrEqual(1);
    expect(total(text, "vidya_d1_rows_written_total")).toBeGreaterThan(0);
    expect(total(text, "vidya_peers")).toBe(2);
    expect(total(text, "vidya_seeders")).toBe(1);
    expect(total(text, "vidya_flush_lag_seconds")).toBe(0);
    expect(total(text, "vidya_metrics_unreachable_shards")).toBe(0);
  });
});
