// One chained challenge of a fixture's torrent, as the edge runs it (protocol/challenge/client.ts),
// over a loopback TCP connection to `port`: fresh randomness, peer id and nonce each time, the
// answer to be signed by `node`. The adversarial measurements (relays, partial storage) share it.

import { connect } from "node:net";
import { Duplex } from "node:stream";
import { randomBytes } from "node:crypto";
import type { Hex } from "viem";
import { runChallenge, type ByteStream, type ChallengeOutcome } from "../../../protocol/challenge/client.ts";
import type { StorageTree } from "../../../protocol/merkle/storage-tree.ts";
import { fromHex } from "../../../protocol/hex.ts";
import { CHALLENGE_BLOCKS } from "../../../protocol/params.ts";
import type { Fixture } from "../../../node/testing/fixtures.ts";

const dial = (port: number): ByteStream => Duplex.toWeb(connect(port, "127.0.0.1")) as unknown as ByteStream;
const random32 = (): Hex => `0x${randomBytes(32).toString("hex")}`;

export function challengeFixture(fx: Fixture, tree: StorageTree, port: number, o: { node: string; round?: number; deadlineMs: number }): Promise<ChallengeOutcome> {
  return runChallenge(dial(port), {
    infoHash: fromHex(fx.meta.infoHash),
    peerId: new Uint8Array(randomBytes(20)),
    storageRoot: tree.root,
    totalLength: fx.meta.length,
    pieceLength: fx.meta.pieceLength,
    chain: { randomness: random32(), infoHash: fx.meta.infoHash, count: CHALLENGE_BLOCKS },
    challenge: { node: o.node.toLowerCase(), chainId: 31337, epoch: 1, round: o.round ?? 0, beacon: `0x${"00".repeat(32)}`, nonce: random32() },
    deadlineMs: o.deadlineMs,
  });
}
