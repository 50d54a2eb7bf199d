// Node side of the worker tests: real TCP seeders on 127.0.0.1 for the challenge tests
// (one honest, one serving corrupted blocks, one that drops every first connection, one
// seeding libtorrent's BEP 52 hybrid torrent), their ports handed to workerd by inject(),
// the announce fuzz's seed and size from the environment, and a real anvil with the contracts
// deployed (scripts/network/chain.ts) for the close that posts on-chain
// (economics-chain-integration.test.ts), and a second one for the epoch writer's fault tests
// (epoch-writer-chain-integration.test.ts); their keys are fresh for every run.

import type { TestProject } from "vitest/node";
import { fromHex } from "../../protocol/hex.ts";
import { fixture, PIECE_LENGTH } from "./support/fixture.ts";
import { startSeeder } from "./support/seeder.ts";
import { seederKeyring } from "./support/seeder-keys.ts";
import { hybridSeederOptions } from "./support/hybrid.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessGroup } from "../../scripts/network/processes.ts";
import { ensureArtifacts, startChain } from "../../scripts/network/chain.ts";
import { startDeployedChain } from "../../scripts/network/public-chain.ts";

declare module "vitest" {
  export interface ProvidedContext {
    honestSeederPort: number;
    corruptSeederPort: number;
    closedPort: number;
    flakySeederPort: number;
    hybridSeederPort: number;
    /** libtorrent's hybrid torrent (protocol/vectors/bep52/hybrid.torrent), base64. */
    hybridTorrent: string;
    fuzzSeed: number;
    fuzzCount: number;
    /** The local chain: RPC URL, contract addresses, the deployer's (genesis holder's) and the poster's keys. */
    chain: { rpcUrl: string; chainId: number; addresses: Record<string, string>; deployerKey: string; posterKey: string };
    /** A second anvil of its own for the epoch writer's fault tests (automine switched off, outages): nothing else posts there. */
    writerChain: { rpcUrl: string; chainId: number; addresses: Record<string, string>; deployerKey: string; posterKey: string };
    /** A third anvil with chain id 84532, deployed by `npm run deploy:contracts` (poster, guardian, treasury apart): the vars it wrote. */
    deployedChain: { rpcUrl: string; chainId: number; posterKey: string; guardianKey: string; treasuryKey: string; vars: Record<string, string> };
  }
}

export default async function setup(project: TestProject) {
  const f = fixture();
  const opts = { infoHash: fromHex(f.infoHash), data: f.data, pieceLength: PIECE_LENGTH, tree: f.tree, keyring: seederKeyring() };
  const honest = await startSeeder(opts);
  const corrupt = await startSeeder({ ...opts, corrupt: true });
  // A port with nothing listening: bind, read the port, close.
  const closed = await startSeeder(opts);
  const closedPort = closed.port;
  await new Promise((r) => closed.server.close(r));
  project.provide("honestSeederPort", honest.port);
  project.provide("corruptSeederPort", corrupt.port);
  project.provide("closedPort", closedPort);
  const flaky = await startSeeder({ ...opts, dropFirstOfEachPair: true });
  project.provide("flakySeederPort", flaky.port);
  const { torrent, options } = hybridSeederOptions();
  const hybrid = await startSeeder({ ...options, keyring: opts.keyring });
  project.provide("hybridSeederPort", hybrid.port);
  project.provide("hybridTorrent", Buffer.from(torrent).toString("base64"));
  // The announce fuzz is deterministic by default; FUZZ_SEED replays or varies a run. `npm test`
  // sends 25,000 requests (~20 s); FUZZ_COUNT=100000 (npm run test:fuzz-announce) the full count.
  project.provide("fuzzSeed", Number(process.env.FUZZ_SEED ?? 20260301) >>> 0);
  project.provide("fuzzCount", Number(process.env.FUZZ_COUNT ?? 25_000));
  const group = new ProcessGroup(join(tmpdir(), `vidya-worker-tests-${process.pid}`));
  // Built once before three chains deploy from them in parallel.
  await ensureArtifacts();
  const [chain, writerChain, deployedChain] = await Promise.all([startChain(group, { disputeDelaySeconds: 3_600n }), startChain(group, { disputeDelaySeconds: 3_600n }), startDeployedChain(group)]);
  project.provide("deployedChain", deployedChain);
  project.provide("chain", { rpcUrl: chain.rpcUrl, chainId: chain.chainId, addresses: chain.addresses, deployerKey: chain.deployerKey, posterKey: chain.posterKey });
  project.provide("writerChain", { rpcUrl: writerChain.rpcUrl, chainId: writerChain.chainId, addresses: writerChain.addresses, deployerKey: writerChain.deployerKey, posterKey: writerChain.posterKey });
  return async () => {
    await group.stopAll();
    await Promise.all([honest, corrupt, flaky, hybrid].map((s) => new Promise((r) => s.server.close(r))));
  };
}
