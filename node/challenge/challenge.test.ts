// The node's side of a challenge, against the exact challenger the edge runs
// (protocol/challenge/client.ts), over a real socket to a real webtorrent client.

import { connect } from "node:net";
import { Duplex } from "node:stream";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type WebTorrent from "webtorrent";
import { runChallenge, type ByteStream, type ChallengeSpec } from "../../protocol/challenge/client.ts";
import { storageProof, storageRoot, type StorageTree } from "../../protocol/merkle/storage-tree.ts";
import { fromHex, bytesEqual, toHex } from "../../protocol/hex.ts";
import { checkFraudEvidence, fraudEvidenceFor } from "../../protocol/challenge/fraud.ts";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import { BLOCK_SIZE, CHALLENGE_DEADLINE_MS } from "../../protocol/params.ts";
import { createClient, destroyClient, seedTorrent } from "../seed/client.ts";
import { payloadPresent, storageTreeOfPayload } from "../storage/payload.ts";
import { makeFixture, type Fixture } from "../testing/fixtures.ts";

const FILES = [
  { path: "disc1/game.iso", length: 100_000 },
  { path: "disc1/readme.txt", length: 40_000 },
  { path: "extras/manual.pdf", length: 70_001 },
];

function dial(port: number): ByteStream {
  return Duplex.toWeb(connect(port, "127.0.0.1")) as unknown as ByteStream;
}

function spec(fx: Fixture, root: Uint8Array, blocks: number[]): ChallengeSpec {
  return {
    infoHash: fromHex(fx.meta.infoHash),
    peerId: new Uint8Array(randomBytes(20)),
    storageRoot: root,
    totalLength: fx.meta.length,
    pieceLength: fx.meta.pieceLength,
    blocks,
    deadlineMs: CHALLENGE_DEADLINE_MS,
  };
}

describe("a seeding node answers challenges", () => {
  let dir: string;
  let fx: Fixture;
  let tree: StorageTree;
  const clients: WebTorrent[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "vidya-node-"));
    fx = await makeFixture(join(dir, "data"), "Archive Pack", FILES);
    tree = await storageTreeOfPayload(fx.dataDir, fx.meta);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(destroyClient));
    await rm(dir, { recursive: true, force: true });
  });

  async function seed(lookupTree: StorageTree | undefined, withExtension = true) {
    const client = await createClient({ port: 0 });
    clients.push(client);
    if (withExtension) {
      const t = await seedTorrent(client, fx.torrentFile, { path: fx.dataDir, lookup: (ih) => (ih === fx.meta.infoHash ? lookupTree : undefined) });
      expect(t.done).toBe(true);
    } else {
      await new Promise((resolve) => client.add(fx.torrentFile, { path: fx.dataDir }, resolve).once("ready", resolve));
    }
    return client.torrentPort;
  }

  it("builds the same storage tree from files as from the concatenated payload", () => {
    expect(bytesEqual(tree.root, storageRoot(fx.payload))).toBe(true);
    expect(tree.leafCount).toBe(Math.ceil(fx.meta.length / BLOCK_SIZE));
  });

  it("passes a challenge with blocks across file boundaries and the short last block", async () => {
    const port = await seed(tree);
    const last = tree.leafCount - 1;
    const outcome = await runChallenge(dial(port), spec(fx, tree.root, [0, 6, last]));
    expect(outcome.reason).toBe("all blocks verified");
    expect(outcome.verdict).toBe("pass");
    expect(outcome.blockHashes).toHaveLength(3);
  });

  it("fails a challenge when a data file is corrupted on disk after seeding starts", async () => {
    const port = await seed(tree);
    // Block 7 starts at 114688, inside disc1/readme.txt (100000..140000).
    const fh = await open(join(fx.dataDir, "Archive Pack", "disc1", "readme.txt"), "r+");
    await fh.write(new Uint8Array(64).fill(0xaa), 0, 64, 114_688 - 100_000 + 100);
    await fh.close();
    const outcome = await runChallenge(dial(port), spec(fx, tree.root, [7]));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.reason).toMatch(/does not verify/);
  });

  it("signs the hash of the corrupted block it served, which makes its answer fraud evidence anyone can check (attack: serving corrupted data)", async () => {
    const key = privateKeyToAccount(generatePrivateKey());
    const client = await createClient({ port: 0 });
    clients.push(client);
    await seedTorrent(client, fx.torrentFile, { path: fx.dataDir, lookup: (ih) => (ih === fx.meta.infoHash ? tree : undefined), signer: key });
    const challenge = { node: key.address.toLowerCase(), chainId: 31337, epoch: 0, round: 0, beacon: `0x${"00".repeat(32)}` as Hex, nonce: `0x${randomBytes(32).toString("hex")}` as Hex };
    // Honest first: the signed hashes are the tree's, so the same evidence is no fraud.
    const ok = await runChallenge(dial(client.torrentPort), { ...spec(fx, tree.root, [7, 0]), challenge });
    expect(ok.verdict, ok.reason).toBe("pass");
    const answer = (o: typeof ok) => ({ ...challenge, infoHash: fx.meta.infoHash, root: toHex(tree.root), blocks: o.blocks, blockHashes: o.blockHashes, answeredAt: o.answeredAt! });
    const trueBlock = fx.payload.subarray(7 * BLOCK_SIZE, 8 * BLOCK_SIZE);
    expect(await checkFraudEvidence(fraudEvidenceFor(answer(ok), ok.nodeSignature!, 0, trueBlock, storageProof(tree, 7)))).toMatch(/no fraud/);
    const fh = await open(join(fx.dataDir, "Archive Pack", "disc1", "readme.txt"), "r+");
    await fh.write(new Uint8Array(64).fill(0xaa), 0, 64, 114_688 - 100_000 + 100);
    await fh.close();
    const bad = await runChallenge(dial(client.torrentPort), { ...spec(fx, tree.root, [7, 0]), challenge });
    expect(bad).toMatchObject({ verdict: "fail", signedFailure: 0 });
    expect(bad.reason).toMatch(/the node signed it/);
    expect(await checkFraudEvidence(fraudEvidenceFor(answer(bad), bad.nodeSignature!, 0, trueBlock, storageProof(tree, 7)))).toBeNull();
    // Pinned on another node, or at the honest block 0, it proves nothing.
    expect(await checkFraudEvidence(fraudEvidenceFor({ ...answer(bad), node: privateKeyToAccount(generatePrivateKey()).address }, bad.nodeSignature!, 0, trueBlock, storageProof(tree, 7)))).toMatch(/not signed/);
    expect(await checkFraudEvidence(fraudEvidenceFor(answer(bad), bad.nodeSignature!, 1, fx.payload.subarray(0, BLOCK_SIZE), storageProof(tree, 0)))).toMatch(/no fraud/);
  });

  it("does not pass once the payload is deleted, though webtorrent still holds the files open", async () => {
    const client = await createClient({ port: 0 });
    clients.push(client);
    const lookup = async (ih: string) => (ih === fx.meta.infoHash && (await payloadPresent(fx.dataDir, fx.meta)) ? tree : undefined);
    await seedTorrent(client, fx.torrentFile, { path: fx.dataDir, lookup });
    const port = client.torrentPort;
    await rm(join(fx.dataDir, "Archive Pack"), { recursive: true, force: true });
    const outcome = await runChallenge(dial(port), { ...spec(fx, tree.root, [3]), deadlineMs: 1_500 });
    expect(outcome.verdict).not.toBe("pass");
    const again = await runChallenge(dial(port), { ...spec(fx, tree.root, [0]), deadlineMs: 1_500 });
    expect(again.verdict).not.toBe("pass");
  });

  it("fails a challenge when its proofs come from a tree over other data", async () => {
    const other = await makeFixture(join(dir, "other"), "Archive Pack", FILES);
    const wrong = await storageTreeOfPayload(other.dataDir, other.meta);
    const port = await seed(wrong);
    const outcome = await runChallenge(dial(port), spec(fx, tree.root, [1, 2]));
    expect(outcome.verdict).toBe("fail");
  });

  it("is refused by a node that does not speak the proof extension", async () => {
    const port = await seed(undefined, false);
    const outcome = await runChallenge(dial(port), spec(fx, tree.root, [0]));
    expect(outcome.verdict).toBe("refused");
    expect(outcome.reason).toMatch(/vidya_proof/);
  });

  it("rejects a proof request for a torrent it no longer hosts", async () => {
    const port = await seed(undefined);
    const outcome = await runChallenge(dial(port), spec(fx, tree.root, [0]));
    expect(outcome.verdict).toBe("refused");
    expect(outcome.reason).toMatch(/not hosted/);
  });

  it("refuses a challenge for an info hash it does not seed", async () => {
    const port = await seed(tree);
    const s = spec(fx, tree.root, [0]);
    s.infoHash = new Uint8Array(randomBytes(20));
    const outcome = await runChallenge(dial(port), s);
    expect(outcome.verdict).toBe("refused");
  });
});
