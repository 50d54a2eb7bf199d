// Node side of the worker tests: real TCP seeders on 127.0.0.1 for the challenge tests
// (one honest, one serving corrupted blocks), their ports handed to workerd by inject().

import type { TestProject } from "vitest/node";
import { fromHex } from "../../protocol/hex.ts";
import { fixture, PIECE_LENGTH } from "./support/fixture.ts";
import { startSeeder } from "./support/seeder.ts";

declare module "vitest" {
  export interface ProvidedContext {
    honestSeederPort: number;
    corruptSeederPort: number;
    closedPort: number;
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
  return async () => {
    await Promise.all([honest, corrupt].map((s) => new Promise((r) => s.server.close(r))));
  };
}
