// The real `bin/vidya` as a user runs it: node init, node start until SIGTERM, errors.

import { spawn, execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../protocol/hex.ts";
import { storageRoot } from "../../protocol/merkle/storage-tree.ts";
import { makeFixture } from "../testing/fixtures.ts";
import { startFakeTracker, type FakeTracker } from "../testing/fake-tracker.ts";

const VIDYA = join(import.meta.dirname, "..", "..", "bin", "vidya");
const run = promisify(execFile);

async function vidya(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(VIDYA, args, { env: { ...process.env, PATH: "/usr/bin:/bin" } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe("bin/vidya", () => {
  let dir: string;
  let tracker: FakeTracker;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vidya-cli-"));
    tracker = await startFakeTracker();
  });
  afterAll(async () => {
    await tracker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("node init creates a 0600 wallet and refuses to overwrite it", async () => {
    const home = join(dir, "n1");
    const r = await vidya(["--home", home, "--json", "node", "init", "--tracker", tracker.url, "--port", "0"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const wallet = await readFile(join(home, "wallet.json"), "utf8");
    expect((await stat(join(home, "wallet.json"))).mode & 0o777).toBe(0o600);
    expect(r.stdout + r.stderr).not.toContain(JSON.parse(wallet).privateKey.slice(2));
    const again = await vidya(["--home", home, "node", "init", "--tracker", tracker.url]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/refusing to overwrite/);
    expect(await readFile(join(home, "wallet.json"), "utf8")).toBe(wallet);
  });

  it("node start seeds, reports its hosted subset, writes state.json and exits 0 on SIGTERM", async () => {
    const home = join(dir, "n2");
    expect((await vidya(["--home", home, "node", "init", "--tracker", tracker.url, "--port", "0"])).code).toBe(0);
    const fx = await makeFixture(join(home, "data"), "Demo Pack", [{ path: "d/demo.bin", length: 33_000 }, { path: "e.txt", length: 10 }]);
    tracker.torrents.set(fx.meta.infoHash, {
      file: fx.torrentFile,
      json: { infoHash: fx.meta.infoHash, name: fx.meta.name, length: fx.meta.length, pieceLength: fx.meta.pieceLength, storageRoot: toHex(storageRoot(fx.payload)), files: fx.meta.files },
    });
    const child = spawn(VIDYA, ["--home", home, "node", "start"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const end = Date.now() + 20_000;
    while (!stdout.includes("press Ctrl-C")) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`node start did not come up:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const state = JSON.parse(await readFile(join(home, "state.json"), "utf8"));
    expect(state.hosted.map((h: { infoHash: string }) => h.infoHash)).toEqual([fx.meta.infoHash]);
    expect(JSON.stringify(state)).not.toMatch(/pk0/); // no passkey in state.json
    expect([...tracker.hosted.values()].some((h) => h.includes(fx.meta.infoHash))).toBe(true);
    const status = await vidya(["--home", home, "--json", "node", "status"]);
    expect(status.code, status.stderr).toBe(0);
    const st = JSON.parse(status.stdout);
    expect(st.running).toBe(true);
    expect(st.tracker.hosted).toEqual([fx.meta.infoHash]);
    expect(st.tracker.epochs[0]).toMatchObject({ epoch: 1, passed: 2, failed: 0 });
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("fails with a readable message and a non-zero exit", async () => {
    const r = await vidya(["--home", join(dir, "nothing"), "node", "start"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^vidya: no config/);
    const u = await vidya(["frobnicate"]);
    expect(u.code).not.toBe(0);
    expect(u.stderr).toMatch(/unknown command/);
  });
});
