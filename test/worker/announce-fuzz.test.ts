// Announce and scrape fuzz: random and malformed requests through the worker (real D1 and
// swarm shards), 25,000 in `npm test` and 100,000 with `npm run test:fuzz-announce`. Every
// answer must be HTTP 200 and bencoded: a failure with its retry timers, or a valid announce
// or scrape; the parser must agree with the reference model of support/announce-fuzz-cases.ts;
// and nothing may throw.
//   FUZZ_SEED=<n>    replay a run (the seed is printed); FUZZ_COUNT=<n> for another count.

import { SELF, env, runDurableObjectAlarm } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { asDict, type BDict } from "../../protocol/bencode.ts";
import { binaryToBytes, fromHex, toHex } from "../../protocol/hex.ts";
import { parseAnnounce, parseScrape } from "../../worker/announce/query.ts";
import { SWARM_SHARDS, shardName } from "../../worker/swarm/shard.ts";
import { fixture } from "./support/fixture.ts";
import { generateCase, makeWorld, refAnnounce, refScrape, type Case, type Expect, type World } from "./support/announce-fuzz-cases.ts";
import { ORIGIN, addMember, uploadTorrent } from "./support/worker.ts";
import { readAnswer, type Outcome } from "./support/tracker-answer.ts";

// Requests in flight at once: enough to overlap D1 and Durable Object round trips.
const CHUNK = 128;
const MEMBERS = 12;
const TORRENTS = 8;


/** The parser against the reference model: same verdict and, when it parses, same values. */
function parserDisagrees(c: Case): string | undefined {
  if (c.kind === "announce") {
    const ref = refAnnounce(c.seenQuery);
    let got;
    try {
      got = parseAnnounce(c.seenQuery);
    } catch (e) {
      return ref.ok ? `parseAnnounce refused a valid query: ${(e as Error).message}` : undefined;
    }
    if (!ref.ok) return `parseAnnounce accepted a query the model refuses (${ref.why})`;
    const r = ref.value;
    const same =
      toHex(binaryToBytes(got.infoHash)) === toHex(r.infoHash) && toHex(binaryToBytes(got.peerId)) === toHex(r.peerId) && got.port === r.port && got.uploaded === r.uploaded &&
      got.downloaded === r.downloaded && got.left === r.left && got.event === r.event && got.numwant === r.numwant;
    return same
      ? undefined
      : `parseAnnounce read ${JSON.stringify({ ...got, infoHash: toHex(binaryToBytes(got.infoHash)), peerId: toHex(binaryToBytes(got.peerId)) })}, the model ${JSON.stringify({ ...r, infoHash: toHex(r.infoHash), peerId: toHex(r.peerId) })}`;
  }
  const ref = refScrape(c.seenQuery);
  let got;
  try {
    got = parseScrape(c.seenQuery);
  } catch (e) {
    return ref.ok ? `parseScrape refused a valid query: ${(e as Error).message}` : undefined;
  }
  if (!ref.ok) return `parseScrape accepted a query the model refuses (${ref.why})`;
  return got.map((h) => toHex(binaryToBytes(h))).join() === ref.value.map(toHex).join() ? undefined : "parseScrape read other info hashes than the model";
}

function expectationBroken(e: Expect, outcome: Outcome, d: BDict): string | undefined {
  if (e.answer === "failure") {
    if (outcome !== "failure") return `expected a failure (${e.why}), got a ${outcome}`;
    // The passkey is checked right after the query parses (and the address the edge gives): its failure says so.
    const reason = new TextDecoder().decode(d["failure reason"] as Uint8Array);
    if (e.why === "unknown passkey" && !/passkey|cannot determine your address/.test(reason)) return `expected an unknown-passkey failure, got "${reason}"`;
    return undefined;
  }
  if (outcome === "failure") {
    // A parsed, authorised request may meet a tracker rule, never a parse error or an internal one.
    const reason = new TextDecoder().decode(d["failure reason"] as Uint8Array);
    if (/malformed|missing|expected 20 bytes|invalid (info_hash|peer_id|port|left|uploaded|downloaded|event)|tracker error/i.test(reason)) return `a valid request failed with "${reason}"`;
    return undefined;
  }
  if (e.scrapeFiles) {
    const got = Object.keys(asDict(d.files, "files")).sort();
    if (got.join("\0") !== e.scrapeFiles.join("\0")) return `scrape answered ${got.length} files, expected ${e.scrapeFiles.length}`;
  }
  return undefined;
}

interface Failed {
  c: Case;
  problem: string;
  body: string;
}

describe("announce and scrape fuzz", () => {
  const seed = Number(inject("fuzzSeed"));
  const count = Number(inject("fuzzCount")) || 25_000;
  let world: World;
  // The worker, its Durable Objects and this test share one isolate: a caught internal error
  // (answered as "tracker error") or an uncaught one is seen here as console.error.
  const errors = vi.spyOn(console, "error");

  beforeAll(async () => {
    const passkeys: string[] = [];
    for (let i = 0; i < MEMBERS; i++) passkeys.push(await addMember(`0x${(0xf0220 + i).toString(16).padStart(40, "0")}`));
    const torrents: Uint8Array[] = [];
    for (let i = 0; i < TORRENTS; i++) {
      const f = fixture(20_000 + i, 900 + i, `fuzz-${i}.bin`);
      expect((await uploadTorrent(f)).status).toBe(201);
      torrents.push(fromHex(f.infoHash));
    }
    world = makeWorld(seed, ORIGIN, passkeys, torrents);
  });

  afterAll(() => errors.mockRestore());

  it(`answers every request with HTTP 200 and a valid bencoded body, and never throws`, async () => {
    console.log(`announce fuzz: seed ${seed} (FUZZ_SEED=${seed} to replay), ${count} requests`);
    const failed: Failed[] = [];
    const tally = { announce: { success: 0, failure: 0 }, scrape: { success: 0, failure: 0 } };
    const reasons = new Map<string, number>();
    const started = Date.now();
    errors.mockClear();

    for (let base = 0; base < count; base += CHUNK) {
      const cases = Array.from({ length: Math.min(CHUNK, count - base) }, (_, k) => generateCase(world, seed, base + k));
      await Promise.all(
        cases.map(async ({ c, expect: e }) => {
          const disagreement = parserDisagrees(c);
          const res = await SELF.fetch(c.url, { headers: c.headers });
          const body = new Uint8Array(await res.arrayBuffer());
          const answer = readAnswer(c.kind, res.status, body);
          const problem = disagreement ?? answer.problem ?? expectationBroken(e, answer.outcome!, answer.dict!);
          if (answer.outcome) tally[c.kind][answer.outcome]++;
          if (answer.outcome === "failure") {
            const r = new TextDecoder().decode(answer.dict!["failure reason"] as Uint8Array).replace(/\(peer id .*?\); allowed: .*/, "(peer id …)").replace(/\d+/g, "N");
            reasons.set(r, (reasons.get(r) ?? 0) + 1);
          }
          if (problem && failed.length < 20) failed.push({ c, problem, body: new TextDecoder().decode(body.slice(0, 300)) });
        }),
      );
    }
    const seconds = (Date.now() - started) / 1000;

    // Flush every shard's accounting, fuzzed counters included.
    for (let s = 0; s < SWARM_SHARDS; s++) {
      try {
        await runDurableObjectAlarm(env.SWARM.get(env.SWARM.idFromName(shardName(s))));
      } catch (e) {
        failed.push({ c: { index: -1, kind: "announce", url: `alarm of ${shardName(s)}`, headers: {}, seenQuery: "", notes: [] }, problem: `alarm threw ${(e as Error).message}`, body: "" });
      }
    }

    console.log(
      `announce fuzz: ${count} requests in ${seconds.toFixed(1)} s (${Math.round(count / seconds)}/s); ` +
        `announce ${tally.announce.success} ok / ${tally.announce.failure} failures, scrape ${tally.scrape.success} ok / ${tally.scrape.failure} failures`,
    );
    console.log("failure reasons:\n" + [...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `  ${String(n).padStart(6)}  ${r}`).join("\n"));

    const report = failed
      .map((f) => `#${f.c.index} ${f.c.kind} [${f.c.notes.join(", ")}]: ${f.problem}\n  GET ${f.c.url.slice(0, 400)}\n  headers ${JSON.stringify(f.c.headers).slice(0, 200)}\n  answer ${JSON.stringify(f.body)}`)
      .join("\n");
    expect(failed, `seed ${seed}:\n${report}`).toHaveLength(0);
    expect(errors.mock.calls.map((a) => a.map(String).join(" ")), `seed ${seed}: the worker logged errors`).toEqual([]);
    // The fuzz must reach the swarms, not only the parser.
    expect(tally.announce.success).toBeGreaterThan(count / 100);
    expect(tally.scrape.success).toBeGreaterThan(count / 200);
  }, 900_000);
});
