// An edge that forges a node's answer (issue 12, "Show it"): the real edge in workerd with
// anvil, nodes registered to host torrents that never answer their challenges, and the edge,
// turned malicious, rewriting those transcripts in its own D1 before the close: one as a pass
// (the right chained blocks and hashes, from the public data and its own seed), one as a fraud
// on a confirmed root (a wrong block), each "signed" by its own key instead of the node's and
// re-signed as a transcript. The close publishes and posts them like any other epoch; `vidya
// verify`, the real CLI, must refuse them by name.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { createServer } from "node:net";
import { sha256 } from "@noble/hashes/sha2.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import { BLOCK_SIZE, CHALLENGE_BLOCKS } from "../../protocol/params.ts";
import { chainedBlock } from "../../protocol/challenge/chain.ts";
import { roundRandomness } from "../../protocol/challenge/schedule.ts";
import type { Transcript as FullTranscript } from "../../protocol/challenge/transcript.ts";
import { signChallengeAnswer, signTranscript } from "../../protocol/reports/eip712.ts";
import { toHex } from "../../protocol/hex.ts";
import { TrackerApi } from "../../node/api.ts";
import { hybridFixture, makeFixture, type Fixture } from "../../node/testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../../node/testing/edge.ts";
import { runVidya } from "../../node/testing/cli.ts";

const vidya = runVidya;


/** A local port nobody listens on: the absent node's registered endpoint. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The edge's local D1 (wrangler dev --persist-to): what a malicious operator can write. */
function edgeDatabase(edge: TestEdge): DatabaseSync {
  const dir = join(edge.dir, "wrangler-state", "v3", "d1", "miniflare-D1DatabaseObject");
  const file = readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (!file) throw new Error(`no D1 database in ${dir}`);
  return new DatabaseSync(join(dir, file));
}

describe("an edge that forges a node's answer", () => {
  let edge: TestEdge;
  let fx: Fixture;
  let hybrid: Fixture;
  let chainId: number;
  let operator: ReturnType<typeof privateKeyToAccount>;
  let forgedPass: string;
  let forgedFraud: string;
  const absent = privateKeyToAccount(generatePrivateKey());
  const framed = privateKeyToAccount(generatePrivateKey());

  beforeAll(async () => {
    edge = await startTestEdge("forged-pass", { chain: { disputeDelaySeconds: 15n }, vars: { CHALLENGE_ROUNDS: "0", CHALLENGE_RETRIES: "0" } });
    chainId = edge.chain!.chainId;
    // The edge's transcript key (the poster's, TRANSCRIPT_PRIVATE_KEY unset): the operator's own.
    operator = privateKeyToAccount(edge.chain!.posterKey as Hex);
    fx = await makeFixture(join(edge.dir, "source"), "Forged Pass", [{ path: "data.bin", length: 90_000 }]);
    await edge.publish(fx);
    // A hybrid torrent's roots are committed by its info hash: confirmed at upload, so a fail on it is fraud.
    hybrid = await hybridFixture(join(edge.dir, "hybrid-source"));
    expect(await edge.publish(hybrid)).toMatchObject({ rootStatus: "confirmed" });
  }, 300_000);

  afterAll(async () => {
    await edge?.stop();
  });

  /** A node registered to host `infoHash` whose port nobody answers: its challenge is refused. */
  async function refusedChallenge(account: ReturnType<typeof privateKeyToAccount>, infoHash: string): Promise<FullTranscript> {
    const api = new TrackerApi(edge.url);
    await api.register(account, chainId, await closedPort());
    expect((await api.reportHosted(account, chainId, [infoHash])).hosted).toEqual([infoHash]);
    const ts = (await edge.runChallenges(account.address)) as unknown as FullTranscript[];
    expect(ts).toHaveLength(1);
    expect(ts[0]).toMatchObject({ verdict: "refused", nodeSignature: null });
    return ts[0]!;
  }

  /**
   * What a malicious edge writes in its own D1 before the close: the chain its seed gives for
   * `hashOf` (block k+1 follows from block k's hash, so `vidya verify` re-derives it), the
   * node's answer "signed" by the operator's key, and the transcript re-signed to look whole.
   */
  async function rewrite(t: FullTranscript, verdict: "pass" | "fail", reason: string, hashOf: (block: number) => string): Promise<string> {
    const db = edgeDatabase(edge);
    try {
      const { seed } = db.prepare("SELECT seed FROM epoch_seeds WHERE epoch = ?").get(t.epoch) as { seed: Hex };
      const randomness = roundRandomness({ seed, epoch: t.epoch, node: t.node, round: t.round, blockHash: t.blockHash });
      const blocks: number[] = [];
      const blockHashes: string[] = [];
      for (let k = 0; k < CHALLENGE_BLOCKS; k++) {
        blocks.push(chainedBlock(randomness, t.infoHash, t.treeLength, k, k ? blockHashes[k - 1]! : null));
        blockHashes.push(hashOf(blocks[k]!));
      }
      const answeredAt = t.startedAt + 30;
      const nodeSignature = await signChallengeAnswer(operator, chainId, { node: t.node, infoHash: t.infoHash, epoch: t.epoch, round: t.round, beacon: t.blockHash, nonce: t.nonce, root: t.root, blocks, blockHashes, answeredAt });
      const { signer: _s, signature: _g, ...unsigned } = t;
      const forged = await signTranscript(operator, chainId, { ...unsigned, verdict, reason, blocks, blockHashes, answeredAt, nodeSignature, attempts: 1, tries: [] });
      const changed = db
        .prepare("UPDATE challenges SET verdict = ?, reason = ?, blocks = ?, block_hashes = ?, answered_at = ?, node_signature = ?, attempts = 1, tries = '[]', signer = ?, signature = ? WHERE id = ?")
        .run(verdict, reason, JSON.stringify(blocks), JSON.stringify(blockHashes), answeredAt, nodeSignature, forged.signer, forged.signature, forged.id);
      expect(changed.changes).toBe(1);
      return forged.id;
    } finally {
      db.close();
    }
  }

  it("publishes and posts an epoch with a pass and a fraud its nodes never signed, as a malicious edge would", async () => {
    // A pass for a node that never answered: the blocks' true hashes, from the public data.
    const t = await refusedChallenge(absent, fx.meta.infoHash);
    forgedPass = await rewrite(t, "pass", "all blocks verified", (b) => toHex(sha256(fx.payload.subarray(t.offset + b * BLOCK_SIZE, t.offset + Math.min((b + 1) * BLOCK_SIZE, t.treeLength)))));
    // A fraud for a node that never answered, on a confirmed root: a "signed" wrong last block.
    const f = await refusedChallenge(framed, hybrid.meta.infoHash);
    let k = 0;
    forgedFraud = await rewrite(f, "fail", "block does not verify against the storage root (the node signed it)", () => (++k === CHALLENGE_BLOCKS ? "ee".repeat(32) : toHex(sha256(new Uint8Array([k])))));

    // The close takes both signatures at their word (it checks presence) and posts the roots on-chain.
    const closed = await edge.closeEpoch();
    expect(closed).toMatchObject({ epoch: 1, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    const slashed = (await edge.api<{ penalties: { node: string; frauds: number }[] }>("/api/epochs/1/slashed")).penalties;
    expect(slashed.find((p) => p.node === framed.address.toLowerCase())).toMatchObject({ frauds: 1 });
  });

  it("is refused by `vidya verify` by name, though every root and the inputs hash match (attack: edge forging a pass without the node's signature; edge brands an honest node a fraud without its signature)", async () => {
    const home = join(edge.dir, "anyone");
    const r = await vidya(["--home", home, "--json", "verify", "1", "--tracker", edge.url, "--allow-forced"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const v = JSON.parse(r.stdout);
    // What the edge published is what it committed: only the missing node signatures give it away.
    expect(v).toMatchObject({ verified: true, slashedVerified: true, inputsVerified: true, evaluationVerified: true, challengesVerified: false });
    expect(v.challenges).toMatchObject({ seedRevealed: true, underived: [], inconsistent: [], unsigned: [], unproven: [forgedPass], unprovenFrauds: [forgedFraud] });
    const text = await vidya(["--home", home, "verify", "1", "--tracker", edge.url, "--allow-forced"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/challenges\s+MISMATCH \(.*1 passes without the node's signature, 1 frauds without the node's signature/);
  });
});
