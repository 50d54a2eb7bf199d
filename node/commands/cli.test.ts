// The real `bin/vidya` as a user runs it, against the real edge (the worker in workerd):
// node init, node start until SIGTERM, node status after a challenge round, errors.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import { TrackerApi, type NodeInfo } from "../api.ts";
import { makeFixture } from "../testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";
import { startHosting } from "../seed/host.ts";
import { main } from "../cli.ts";
import { VIDYA_BIN as VIDYA, runVidya } from "../testing/cli.ts";

const vidya = (args: string[]) => runVidya(args, { PATH: "/usr/bin:/bin" });


async function until(cond: () => boolean | Promise<boolean>, message: () => string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(message());
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("bin/vidya", () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await startTestEdge("node-commands-cli");
  });
  afterAll(async () => {
    await edge?.stop();
  });

  it("node init creates a 0600 wallet and never overwrites it when run again", async () => {
    const home = join(edge.dir, "n1");
    const r = await vidya(["--home", home, "--json", "node", "init", "--tracker", edge.url, "--port", "0"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const wallet = await readFile(join(home, "wallet.json"), "utf8");
    expect((await stat(join(home, "wallet.json"))).mode & 0o777).toBe(0o600);
    expect(r.stdout + r.stderr).not.toContain(JSON.parse(wallet).privateKey.slice(2));
    // A re-run reconfigures (node/commands/comforts.test.ts); the key stays byte for byte.
    const again = await vidya(["--home", home, "node", "init", "--tracker", edge.url]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/reconfigured/);
    expect(await readFile(join(home, "wallet.json"), "utf8")).toBe(wallet);
    expect(JSON.parse(wallet).address).toBe(out.address);
  });

  it("node start seeds, reports its hosted subset, writes state.json and exits 0 on SIGTERM", async () => {
    const home = join(edge.dir, "n2");
    expect((await vidya(["--home", home, "node", "init", "--tracker", edge.url, "--port", "0"])).code).toBe(0);
    const fx = await makeFixture(join(home, "data"), "Demo Pack", [{ path: "d/demo.bin", length: 33_000 }, { path: "e.txt", length: 10 }]);
    await edge.publish(fx);
    const child = spawn(VIDYA, ["--home", home, "node", "start"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const end = Date.now() + 20_000;
      while (!stdout.includes("press Ctrl-C")) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`node start did not come up:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const state = JSON.parse(await readFile(join(home, "state.json"), "utf8"));
      expect(state.hosted.map((h: { infoHash: string }) => h.infoHash)).toEqual([fx.meta.infoHash]);
      // Registering again answers the node's same tracker key: it must not be in state.json.
      const account = privateKeyToAccount((JSON.parse(await readFile(join(home, "wallet.json"), "utf8")) as { privateKey: Hex }).privateKey);
      const api = new TrackerApi(edge.url);
      const { passkey } = await api.register(account, (await api.chain()).chainId, state.endpoint.port);
      expect(JSON.stringify(state)).not.toContain(passkey);
      expect((await edge.api<NodeInfo>(`/api/nodes/${account.address}`)).hosted).toEqual([fx.meta.infoHash]);

      const round = (await edge.runChallenges()).filter((t) => t.node === account.address.toLowerCase());
      expect(round.map((t) => t.verdict)).toEqual(["pass"]);
      const status = await vidya(["--home", home, "--json", "node", "status"]);
      expect(status.code, status.stderr).toBe(0);
      const st = JSON.parse(status.stdout);
      expect(st.running).toBe(true);
      expect(st.tracker.hosted).toEqual([fx.meta.infoHash]);
      expect(st.tracker.epochs).toEqual([{ epoch: 1, passed: 1, failed: 0, earned: "0" }]);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("node want makes the running node fetch what it now wants; node status --json shows it", async () => {
    const home = join(edge.dir, "n3");
    expect(await main(["--home", home, "--json", "node", "init", "--tracker", edge.url, "--port", "0", "--no-fill"])).toBe(0);
    // Seeded by another node; n3 has nothing on disk and, without fill, fetches only what it wants.
    const fx = await makeFixture(join(edge.dir, "seeder-data"), "Wanted Pack", [{ path: "w.bin", length: 45_000 }]);
    await edge.publish(fx);
    const seeder = await startHosting({ api: new TrackerApi(edge.url), account: privateKeyToAccount(generatePrivateKey()), dataDir: fx.dataDir, port: 0, storageCap: 1_000_000 });
    const child = spawn(VIDYA, ["--home", home, "node", "start"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await until(() => stdout.includes("press Ctrl-C"), () => `node start did not come up:\n${stdout}\n${stderr}`);
      const address = privateKeyToAccount((JSON.parse(await readFile(join(home, "wallet.json"), "utf8")) as { privateKey: Hex }).privateKey).address;
      expect((await edge.api<NodeInfo>(`/api/nodes/${address}`)).hosted).toEqual([]);

      // A pattern that matches nothing is a typo or a missing wildcard: refused, nothing saved.
      const none = await vidya(["--home", home, "node", "want", "wanted", "nothing-like-it*"]);
      expect(none.code).not.toBe(0);
      expect(none.stderr).toMatch(/^vidya: "wanted", "nothing-like-it\*" match no torrent in the index; nothing saved\. A pattern must match the whole name: use \* and \? \(e\.g\. "\*wanted\*"\)/);
      expect(JSON.parse(await readFile(join(home, "config.json"), "utf8")).interests).toEqual([]);
      const want = await vidya(["--home", home, "--json", "node", "want", "wanted*"]);
      expect(want.code, want.stderr).toBe(0);
      expect(JSON.parse(want.stdout)).toEqual({ interests: ["wanted*"], matches: [{ infoHash: fx.meta.infoHash, name: "Wanted Pack", length: 45_000 }] });
      let hosted: string[] = [];
      await until(async () => (hosted = (await edge.api<NodeInfo>(`/api/nodes/${address}`)).hosted).length > 0, () => `the node did not pick up the interest:\n${stderr}`);
      expect(hosted).toEqual([fx.meta.infoHash]);
      expect(stderr).toMatch(/config\.json changed: planning again/);

      const round = (await edge.runChallenges()).filter((t) => t.node === address.toLowerCase());
      expect(round.map((t) => t.verdict)).toEqual(["pass"]);
      const status = await vidya(["--home", home, "--json", "node", "status"]);
      expect(status.code, status.stderr).toBe(0);
      const st = JSON.parse(status.stdout);
      expect(st).toMatchObject({
        running: true,
        storageCap: 5_000_000_000,
        fill: false,
        interests: ["wanted*"],
        hosted: [{ infoHash: fx.meta.infoHash, name: "Wanted Pack", length: 45_000, wanted: true }],
        hostedBytes: 45_000,
        downloads: [],
        challenges: { failed: 0, passRate: 1 },
        earned: "0",
      });
      expect(BigInt(st.hosted[0].expectedRewardPerGB)).toBeGreaterThan(0n);
      // This edge runs without a chain: what is on-chain is unknown, and said so.
      expect(st.claimable).toBeNull();
      expect(st.errors.chain).toBeTruthy();
      expect(st.nextEpoch.epoch).toBeGreaterThanOrEqual(1);
      expect(st.nextEpoch.closesAt).toBeGreaterThan(st.nextEpoch.openedAt);
      // The same, as a person reads it.
      const human = await vidya(["--home", home, "node", "status"]);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(/^hosting +1 torrent\(s\)$/m);
      expect(human.stdout).toContain(`${fx.meta.infoHash}  Wanted Pack  45.00 KB`);
      expect(human.stdout).toMatch(/^challenges \d+ passed, 0 failed \(pass rate 100\.0%\)$/m);
      expect(human.stdout).toMatch(/^earned +0\.0000 VIDYA/m);
      expect(human.stdout).toMatch(/^claimable +unknown \(/m);
      expect(human.stdout).toMatch(new RegExp(`^next epoch ${st.nextEpoch.epoch} closes at \\S+ \\((in \\d+ (s|min)|due now)\\)$`, "m"));

    } finally {
      child.kill("SIGTERM");
      await seeder.stop();
    }
    expect(await exited).toBe(0);
  });

  // A real full disk: the node's home on a 2 MB tmpfs (needs root to mount; skipped otherwise).
  const canMount = (() => {
    if (process.getuid?.() !== 0) return false;
    const probe = mkdtempSync(join(tmpdir(), "vidya-mount-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "ignore" });
      execFileSync("umount", [probe], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
  })();

  it.skipIf(!canMount)("stops cleanly on a full disk, keeping state.json whole (finding: ENOSPC, node kept running, state unwritten)", async () => {
    const home = mkdtempSync(join(tmpdir(), "vidya-full-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", home]);
    let child: ReturnType<typeof spawn> | undefined;
    try {
      expect((await vidya(["--home", home, "node", "init", "--tracker", edge.url, "--port", "0", "--no-fill", "--storage-cap", "1.8MB"])).code).toBe(0);
      const fx = await makeFixture(join(edge.dir, "full-disk-seeder"), "Too Big Pack", [{ path: "big.bin", length: 1_000_000 }]);
      await edge.publish(fx);
      const seeder = await startHosting({ api: new TrackerApi(edge.url), account: privateKeyToAccount(generatePrivateKey()), dataDir: fx.dataDir, port: 0, storageCap: 2_000_000 });
      try {
        child = spawn(VIDYA, ["--home", home, "node", "start"], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => (stderr += d));
        const exited = new Promise<number | null>((resolve) => child!.on("exit", (code) => resolve(code)));
        await until(() => stdout.includes("press Ctrl-C"), () => `node start did not come up:
${stdout}
${stderr}`);
        // Something else fills the disk after the start-up check passed.
        writeFileSync(join(home, "other-program.bin"), Buffer.alloc(1_500_000));
        expect((await vidya(["--home", home, "node", "want", "Too Big*"])).code).toBe(0);
        const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running"), 45_000))]);
        expect(code, stderr).toBe(1);
        expect(stderr).toMatch(/ERROR +the disk is full \(.*\); stopping the node\. Free some space or lower the cap/);
        // The last state written is whole: writes go through a temporary file and a rename.
        const state = JSON.parse(await readFile(join(home, "state.json"), "utf8")) as { hosted: unknown[] };
        expect(Array.isArray(state.hosted)).toBe(true);
      } finally {
        await seeder.stop();
      }
    } finally {
      child?.kill("SIGKILL");
      execFileSync("umount", ["-l", home]);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("fails with a readable message and a non-zero exit", async () => {
    const r = await vidya(["--home", join(edge.dir, "nothing"), "node", "start"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^vidya: no config/);
    const u = await vidya(["frobnicate"]);
    expect(u.code).not.toBe(0);
    expect(u.stderr).toMatch(/unknown command/);
    const b = await vidya(["--home", join(edge.dir, "nothing"), "bond", "lots"]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(/^vidya: usage: vidya bond <amount/);
    const sl = await vidya(["--home", join(edge.dir, "nothing"), "slash", "0x1234"]);
    expect(sl.code).not.toBe(0);
    expect(sl.stderr).toMatch(/^vidya: not a node address: 0x1234/);
    const d = await vidya(["--home", join(edge.dir, "nothing"), "dispute"]);
    expect(d.code).not.toBe(0);
    expect(d.stderr).toMatch(/^vidya: no config/);
  });
});
