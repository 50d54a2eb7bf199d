// Node side of the worker tests: real TCP seeders on 127.0.0.1 for the challenge tests
// (one honest, one serving corrupted blocks, one that drops every first connection, one
// seeding libtorrent's BEP 52 hybrid torrent), their ports handed to workerd by inject(),
// and the announce fuzz's seed and size from the environment.

import type { TestProject } from "vitest/node";
import { fromHex } from "../../protocol/hex.ts";
import { fixture, PIECE_LENGTH } from "./support/fixture.ts";
import { startSeeder } from "./support/seeder.ts";
import { hybridSeederOptions } from "./support/hybrid.ts";

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
  }
}

export default async function setup(project: TestProject) {
  const f = fixture();
  const opts = { infoHash: fromHex(f.infoHash), data: f.data, pieceLength: PIECE_LENGTH, tree: f.tree };
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
  const hybrid = await startSeeder(options);
  project.provide("hybridSeederPort", hybrid.port);
  project.provide("hybridTorrent", Buffer.from(torrent).toString("base64"));
  // The announce fuzz is deterministic by default; FUZZ_SEED replays or varies a run.
  project.provide("fuzzSeed", Number(process.env.FUZZ_SEED ?? 20260301) >>> 0);
  project.provide("fuzzCount", Number(process.env.FUZZ_COUNT ?? 100_000));
  return async () => {
    await Promise.all([honest, corrupt, flaky, hybrid].map((s) => new Promise((r) => s.server.close(r))));
  };
}
