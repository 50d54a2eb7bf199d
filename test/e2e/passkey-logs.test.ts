// Passkeys never reach a log (issue 10, finding 7): the real worker under `wrangler dev`, as
// `npm start` and the node tests run it (scripts/network/edge.ts), takes announces, scrapes and
// .torrent downloads from a member and a node; then neither wrangler's output nor any debug
// log file holds either key, while the worker's log is there and did record the run.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createHash, randomBytes } from "node:crypto";
import type { Hex } from "viem";
import { reportToJson, signReport } from "../../protocol/reports/eip712.ts";
import { fromHex } from "../../protocol/hex.ts";
import { TrackerApi } from "../../node/api.ts";
import { makeFixture } from "../../node/testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../../node/testing/edge.ts";

const percent = (b: Uint8Array) => Array.from(b, (x) => `%${x.toString(16).padStart(2, "0")}`).join("");

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe("passkeys and logs (attack: passkeys in the request log)", () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await startTestEdge("passkey-logs");
  });
  afterAll(async () => {
    await edge?.stop();
  });

  it("keeps member and node passkeys out of wrangler's output and log files after announces", async () => {
    const api = new TrackerApi(edge.url);
    const chainId = ((await (await fetch(`${edge.url}/api/chain`)).json()) as { chainId: number }).chainId;
    const fx = await makeFixture(join(edge.dir, "data"), "Logged", [{ path: "a.bin", length: 50_000 }]);
    const t = await edge.publish(fx);
    const member = privateKeyToAccount(generatePrivateKey());
    const { passkey } = await api.join(member, chainId, await edge.invite());
    const node = privateKeyToAccount(generatePrivateKey());
    const reg = await api.register(node, chainId, 6_999);
    await api.reportFetching(node, chainId, [t.infoHash]);

    const peerId = new Uint8Array([...new TextEncoder().encode("-qB4650-"), ...randomBytes(12)]);
    for (const key of [passkey, reg.passkey]) {
      for (const event of ["started", "", "stopped"]) {
        const q = `info_hash=${percent(fromHex(t.infoHash))}&peer_id=${percent(peerId)}&port=6881&uploaded=0&downloaded=0&left=1&compact=1&event=${event}`;
        expect((await fetch(`${edge.url}/${key}/announce?${q}`)).status).toBe(200);
      }
      expect((await fetch(`${edge.url}/${key}/scrape?info_hash=${percent(fromHex(t.infoHash))}`)).status).toBe(200);
      expect((await fetch(`${edge.url}/${key}/torrent/${t.infoHash}`)).status).toBe(200);
      // A path no route takes, and a malformed announce: errors are logged without the path.
      await fetch(`${edge.url}/${key}/nothing-here`);
      await fetch(`${edge.url}/${key}/announce?info_hash=short`);
    }
    // The member resets the passkey (a signed MemberAction) and a stale client announces with the
    // old one: the worker warns, naming the passkey by its hash prefix only. That warning in the
    // log shows the log is really captured.
    const action = { member: member.address, action: "reset-passkey", subject: `0x${"00".repeat(32)}` as Hex, nonce: BigInt(Date.now()), expiry: BigInt(Math.floor(Date.now() / 1000) + 600) };
    const reset = await fetch(`${edge.url}/api/members/passkey`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: reportToJson<"MemberAction">(action), signature: await signReport(member, chainId, "MemberAction", action) }),
    });
    expect(reset.status).toBe(200);
    const fresh = ((await reset.json()) as { passkey: string }).passkey;
    const q = `info_hash=${percent(fromHex(t.infoHash))}&peer_id=${percent(peerId)}&port=6881&uploaded=0&downloaded=0&left=1&compact=1&event=started`;
    expect((await fetch(`${edge.url}/${fresh}/announce?${q}`)).status).toBe(200);
    expect((await fetch(`${edge.url}/${passkey}/announce?${q}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_500));
    await edge.stop();

    const logs = filesUnder(edge.dir).filter((p) => /\.(log|txt)$/.test(p) || p.includes("wrangler-logs"));
    const worker = logs.find((p) => p.endsWith("worker.log"));
    expect(worker, `logs: ${logs.join(", ")}`).toBeDefined();
    const tag = createHash("sha256").update(passkey).digest("hex").slice(0, 8);
    expect(readFileSync(worker!, "utf8")).toContain(`sha256:${tag}`);
    for (const p of logs) {
      const text = readFileSync(p, "utf8");
      expect(text.includes(passkey), `${p} holds the member's passkey`).toBe(false);
      expect(text.includes(fresh), `${p} holds the member's new passkey`).toBe(false);
      expect(text.includes(reg.passkey), `${p} holds the node's tracker key`).toBe(false);
    }
  });
});
