// The JSON API, admin routes, uploads and site pages under garbage (the short form of
// `npm run fuzz`, bench/fuzz.ts, whose generators it uses): no answer is a 5xx, and every JSON
// API error is `{ error: { code } }`. Announce and scrape have their own fuzz
// (announce-fuzz.test.ts); the WebSocket tracker is fuzzed by bench/fuzz.ts.
//   FUZZ_SEED=<n> varies or replays a run (the seed is printed), as for the announce fuzz.

import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { apiCase, uploadCase, type FuzzWorld, type HttpCase } from "../../bench/support/fuzz-cases.ts";
import { Rng, caseSeed } from "./support/announce-fuzz-cases.ts";
import { fixture } from "./support/fixture.ts";
import { ADMIN_TOKEN, ORIGIN, addMember, uploadTorrent } from "./support/worker.ts";

const COUNT = 2_000;
const IN_FLIGHT = 32;

/** The problem with an answer, if any (bench/fuzz.ts checkHttp, for the kinds here). */
async function problem(c: HttpCase, res: Response): Promise<string | undefined> {
  const body = await res.text();
  if (res.status >= 500) return `HTTP ${res.status} ${body.slice(0, 200)}`;
  if (c.kind === "site" || c.method === "HEAD" || res.status < 400) return undefined;
  try {
    const e = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof e?.error?.code === "string" ? undefined : `HTTP ${res.status} without error.code`;
  } catch {
    return `HTTP ${res.status} whose body is not JSON`;
  }
}

describe("API fuzz", () => {
  let w: FuzzWorld;

  beforeAll(async () => {
    const accounts = Array.from({ length: 6 }, (_, i) => `0x${(0xfa0 + i).toString(16).padStart(40, "0")}`);
    const passkeys = await Promise.all(accounts.map((a) => addMember(a)));
    const torrents: string[] = [];
    for (let i = 0; i < 4; i++) {
      const f = fixture(20_000, 900 + i, `api-fuzz-${i}.bin`);
      expect((await uploadTorrent(f)).status).toBe(201);
      torrents.push(f.infoHash);
    }
    w = {
      origin: ORIGIN,
      adminToken: ADMIN_TOKEN,
      passkeys: passkeys.slice(0, 4),
      spare: accounts.slice(4).map((account, i) => ({ account, passkey: passkeys[4 + i]! })),
      accounts,
      torrents,
      nodes: [`0x${"ab".repeat(20)}`],
    };
  });

  it(`answers ${COUNT} garbage API, admin, upload and site requests without a 5xx, every JSON error with a code (attack: one bad request answers 500)`, async () => {
    const SEED = Number(inject("fuzzSeed")) >>> 0;
    console.log(`api fuzz: seed ${SEED} (FUZZ_SEED=${SEED} to replay), ${COUNT} requests`);
    const failed: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < COUNT; i = next++) {
        const rng = new Rng(caseSeed(SEED, i));
        const c = rng.chance(0.25) ? uploadCase(w, rng) : apiCase(w, rng);
        const res = await SELF.fetch(c.url, { method: c.method, headers: c.headers, body: c.body, redirect: "manual" });
        const p = await problem(c, res);
        if (p && failed.length < 10) failed.push(`#${i} ${c.route}: ${p} (${c.method} ${c.url.slice(0, 200)})`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    expect(failed).toEqual([]);
  }, 600_000);

  it("answers a signed-report body that is JSON but not an object with 400 (attack: `null` posted to /api/disputes answered 500)", async () => {
    for (const path of ["/api/disputes", "/api/nodes/register", "/api/nodes/hosted", "/api/nodes/roots", "/api/nodes/check", "/api/members/join"])
      for (const body of ["null", "[]", "5", '"x"', "true"]) {
        const res = await SELF.fetch(ORIGIN + path, { method: "POST", headers: { "content-type": "application/json" }, body });
        expect(res.status, `${path} ${body}`).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBeTypeOf("string");
      }
  });
});
