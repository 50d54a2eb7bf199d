// Payloads on disk: the bytes the storage cap counts, the piece check that tells a partial
// download from a finished one, and deletion that leaves other files alone.

import { mkdtemp, open, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeFixture, type Fixture } from "../testing/fixtures.ts";
import { deletePayload, payloadBytesOnDisk, payloadPresent, piecesComplete } from "./payload.ts";

describe("payloads on disk", () => {
  let dir: string;
  let fx: Fixture;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "vidya-payload-"));
    fx = await makeFixture(join(dir, "data"), "Pack", [{ path: "disc/a.bin", length: 100_000 }, { path: "b.bin", length: 30_000 }]);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("counts the files' real sizes, a partial download for what is written", async () => {
    expect(await payloadBytesOnDisk(fx.dataDir, fx.meta)).toBe(130_000);
    await truncate(join(fx.dataDir, "Pack", "disc", "a.bin"), 40_000);
    await rm(join(fx.dataDir, "Pack", "b.bin"));
    expect(await payloadBytesOnDisk(fx.dataDir, fx.meta)).toBe(40_000);
  });

  it("tells a complete payload from one of the right sizes with a hole in it", async () => {
    expect(await piecesComplete(fx.dataDir, fx.meta, fx.torrentFile)).toBe(true);
    // A piece not yet written reads as zeros in a sparse file of full size.
    const fh = await open(join(fx.dataDir, "Pack", "disc", "a.bin"), "r+");
    await fh.write(new Uint8Array(32 * 1024), 0, 32 * 1024, 32 * 1024);
    await fh.close();
    expect(await payloadPresent(fx.dataDir, fx.meta)).toBe(true);
    expect(await piecesComplete(fx.dataDir, fx.meta, fx.torrentFile)).toBe(false);
  });

  it("deletes the payload's files and the folders they leave empty, nothing else", async () => {
    await writeFile(join(fx.dataDir, "Pack", "notes.txt"), "mine");
    await deletePayload(fx.dataDir, fx.meta);
    expect(await payloadBytesOnDisk(fx.dataDir, fx.meta)).toBe(0);
    expect(await readdir(join(fx.dataDir, "Pack"))).toEqual(["notes.txt"]);
    await rm(join(fx.dataDir, "Pack", "notes.txt"));
    await makeFixture(fx.dataDir, "Pack", [{ path: "disc/a.bin", length: 10 }, { path: "b.bin", length: 10 }]);
    await deletePayload(fx.dataDir, fx.meta);
    expect(await readdir(fx.dataDir)).toEqual([]);
  });
});
