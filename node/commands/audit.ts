// vidya audit <node> [--torrent INFOHASH]: run the edge's chained challenge against any node from
// any machine (DESIGN.md "Anyone can audit"). The auditor draws its own randomness and nonce, so
// the node cannot have prepared; the node's signed answer (EIP-712 ChallengeAnswer, epoch 0 and
// round 0 mark an audit, not an edge round) is printed with the blocks and their hashes as
// evidence: a signed answer whose paths fail is provable fraud. When a block the node signed
// fails, the true block is fetched from --source (any Vidya node with the torrent, checked
// against the root) and the fraud evidence is written for `vidya slash` (protocol/challenge/fraud.ts).
// Needs no wallet.

import { mkdir, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { Duplex } from "node:stream";
import { parseArgs } from "node:util";
import { isAddress, type Hex } from "viem";
import { runChallenge, type ByteStream } from "../../protocol/challenge/client.ts";
import { deriveChallenge, roundRandomness, ZERO_BLOCK_HASH } from "../../protocol/challenge/schedule.ts";
import { binaryToBytes, fromHex, toHex } from "../../protocol/hex.ts";
import { CHALLENGE_BLOCKS, CHALLENGE_DEADLINE_MS } from "../../protocol/params.ts";
import { TrackerApi } from "../api.ts";
import { normaliseTracker, readJsonFile, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import type { Ctx } from "./context.ts";
import { checkFraudEvidence, fraudEvidenceFor } from "../../protocol/challenge/fraud.ts";
import type { ChallengeAnswer } from "../../protocol/reports/eip712.ts";

const random32 = (): Hex => `0x${toHex(crypto.getRandomValues(new Uint8Array(32)))}`;

export async function audit(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { tracker: { type: "string" }, torrent: { type: "string" }, source: { type: "string" }, evidence: { type: "string" } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || !isAddress(positionals[0]!, { strict: false })) throw new CliError("usage: vidya audit <node address> [--torrent INFOHASH] [--source HOST:PORT] [--evidence FILE] [--tracker URL]");
  const source = values.source === undefined ? undefined : hostPort(values.source);
  const node = positionals[0]!.toLowerCase();
  const config = await readJsonFile<Partial<Config>>(ctx.home.config);
  const trackerUrl = values.tracker ?? config?.tracker;
  if (!trackerUrl) throw new CliError("audit needs --tracker URL (or a home with a config)");
  const api = new TrackerApi(normaliseTracker(trackerUrl));
  const info = await api.node(node as Hex);
  if (!info.endpoint) throw new CliError(`node ${node} has no registered endpoint`);
  const infoHash = (values.torrent ?? info.hosted[Math.floor(Math.random() * info.hosted.length)])?.replace(/^0x/, "").toLowerCase();
  if (!infoHash || !/^[0-9a-f]{40}$/.test(infoHash)) throw new CliError(info.hosted.length ? `not an info hash: ${values.torrent}` : `node ${node} hosts nothing; name a torrent with --torrent`);
  const t = await api.torrent(infoHash);
  const { chainId } = await api.chain();

  // Our own randomness: the same derivation as an edge round, with a seed nobody else knows.
  const randomness = roundRandomness({ seed: random32(), epoch: 0, node, round: 0, blockHash: ZERO_BLOCK_HASH });
  const c = deriveChallenge(randomness, { infoHash, length: t.length, storageRoot: t.storageRoot, v2Files: t.v2Files?.length ? t.v2Files : undefined });
  const nonce = random32();
  const { host, port } = info.endpoint;
  const socket = connect({ host, port });
  socket.on("error", () => {}); // surfaces as a refused challenge
  const tree = {
    infoHash: fromHex(infoHash),
    peerId: binaryToBytes("-qB4650-" + toHex(crypto.getRandomValues(new Uint8Array(6)))),
    storageRoot: fromHex(c.root),
    totalLength: c.treeLength,
    pieceLength: t.pieceLength,
    offset: c.offset,
    namedTree: c.file !== null,
    deadlineMs: CHALLENGE_DEADLINE_MS,
  };
  const r = await runChallenge(Duplex.toWeb(socket) as unknown as ByteStream, {
    ...tree,
    chain: { randomness, infoHash, count: CHALLENGE_BLOCKS },
    challenge: { node, chainId, epoch: 0, round: 0, beacon: ZERO_BLOCK_HASH, nonce },
  });
  socket.destroy();

  // The node signed a block that fails: with the true block, its answer is fraud evidence.
  let evidenceFile: string | null = null;
  if (r.signedFailure !== undefined && r.nodeSignature && r.answeredAt !== undefined) {
    const k = r.signedFailure;
    const signed: ChallengeAnswer = { node, infoHash, epoch: 0, round: 0, beacon: ZERO_BLOCK_HASH, nonce, root: c.root, blocks: r.blocks, blockHashes: r.blockHashes, answeredAt: r.answeredAt };
    if (!source) ctx.say(`the node signed block ${r.blocks[k]}, which fails: name a node with this torrent by --source HOST:PORT to fetch the true block and write fraud evidence`);
    else {
      const s = connect(source);
      s.on("error", () => {});
      const truth = await runChallenge(Duplex.toWeb(s) as unknown as ByteStream, { ...tree, blocks: [r.blocks[k]!], keepBlocks: true });
      s.destroy();
      if (truth.verdict !== "pass" || !truth.blockData || !truth.proofs) ctx.say(`could not fetch the true block ${r.blocks[k]} from ${source.host}:${source.port}: ${truth.reason}`);
      else {
        const evidence = fraudEvidenceFor(signed, r.nodeSignature, k, truth.blockData[0]!, truth.proofs[0]!, chainId);
        const why = await checkFraudEvidence(evidence);
        if (why) ctx.say(`no fraud evidence: ${why}`);
        else {
          evidenceFile = values.evidence ?? join(ctx.home.dir, "evidence", `${node}-${infoHash.slice(0, 8)}-${r.blocks[k]}-${nonce.slice(2, 10)}.json`);
          await mkdir(dirname(evidenceFile), { recursive: true });
          await writeFile(evidenceFile, JSON.stringify(evidence, null, 2) + "\n");
          ctx.say(`FRAUD: the node signed a wrong hash for block ${r.blocks[k]}; evidence written to ${evidenceFile} (submit it: vidya slash ${evidenceFile})`);
        }
      }
    }
  }

  ctx.say(`audit of ${node} at ${host}:${port} on ${infoHash}${c.file !== null ? ` (file ${c.file})` : ""}: ${r.verdict.toUpperCase()} (${r.reason})`);
  ctx.say(`${r.blockHashes.length} of ${CHALLENGE_BLOCKS} chained blocks in ${r.durationMs} ms (handshake round trip ${r.rttMs ?? "-"} ms); node signature ${r.nodeSignature ? "valid" : "none"}`);
  ctx.result({
    node,
    host,
    port,
    infoHash,
    chainId,
    file: c.file,
    root: c.root,
    treeLength: c.treeLength,
    randomness,
    nonce,
    verdict: r.verdict,
    reason: r.reason,
    blocks: r.blocks,
    blockHashes: r.blockHashes,
    answeredAt: r.answeredAt ?? null,
    nodeSignature: r.nodeSignature ?? null,
    rttMs: r.rttMs ?? null,
    durationMs: r.durationMs,
    evidence: evidenceFile,
  });
  if (r.verdict !== "pass") process.exitCode = 1;
}

function hostPort(v: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new CliError(`--source must be HOST:PORT, got ${v}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}
