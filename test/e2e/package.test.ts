// The installable package, as a user gets it: `npm pack` of the bundle (scripts/build-package.ts),
// installed into an empty folder with `npm install --omit=dev` from the tarball alone (offline),
// then run under the machine's own Node (Debian's 20, not the repository's 24) as a node of the
// local network (anvil, the worker in workerd) that registers, hosts, and passes challenges.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { LocalNetwork } from "../../scripts/network/network.ts";
import { ROOT } from "../../scripts/network/chain.ts";
import { buildPackage, type BuiltPackage } from "../../scripts/build-package.ts";

/** The first `node` on PATH outside node_modules: the Node a user has. */
function systemNode(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir || dir.includes("node_modules")) continue;
    if (existsSync(join(dir, "node"))) return join(dir, "node");
  }
  throw new Error("no node on PATH outside node_modules");
}

describe("the vidya npm package", () => {
  const work = mkdtempSync(join(tmpdir(), "vidya-package-"));
  const prefix = join(work, "install");
  const node = systemNode();
  // A PATH whose `node` and `npm` are the system's, as in a user's shell.
  const env = { ...process.env, PATH: (process.env.PATH ?? "").split(delimiter).filter((d) => !d.includes("node_modules")).join(delimiter), NO_COLOR: "1" };
  const installedBin = join(prefix, "node_modules", "vidya", "bin", "vidya.js");
  let built: BuiltPackage;
  let net: LocalNetwork | undefined;
  const netDir = join(ROOT, ".vidya", `package-${process.pid}`);

  beforeAll(async () => {
    built = await buildPackage(join(work, "build"));
    mkdirSync(prefix);
    execFileSync("npm", ["init", "-y"], { cwd: prefix, env, stdio: "ignore" });
    // --offline: the tarball must carry everything; a dependency would need the registry.
    execFileSync("npm", ["install", "--omit=dev", "--offline", "--no-audit", "--no-fund", built.tarball], { cwd: prefix, env, stdio: "pipe" });
  });

  afterAll(async () => {
    await net?.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(netDir, { recursive: true, force: true });
  });

  it("installs from the packed tarball alone, offline and without a bundled Node (finding: npm ci --omit=dev left bin/vidya unable to start)", () => {
    expect(readdirSync(join(prefix, "node_modules")).filter((d) => !d.startsWith("."))).toEqual(["vidya"]);
    expect(existsSync(join(prefix, "node_modules", ".bin", "vidya"))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(prefix, "node_modules", "vidya", "package.json"), "utf8")) as { dependencies?: object; engines: { node: string } };
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.engines.node).toMatch(/^>=20\./);
  });

  it("prints the package's version under the system's Node (finding: no --version)", () => {
    const major = Number(execFileSync(node, ["-p", "process.versions.node.split('.')[0]"], { env, encoding: "utf8" }).trim());
    expect(major).toBeGreaterThanOrEqual(20);
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(execFileSync(join(prefix, "node_modules", ".bin", "vidya"), ["--version"], { env, encoding: "utf8" })).toBe(`vidya ${root.version}\n`);
    expect(built.version).toBe(root.version);
  });

  it("ships a systemd unit systemd accepts and a Dockerfile whose Node meets the package's engines", () => {
    const unit = join(ROOT, "packaging", "vidya-node.service");
    // systemd-analyze prints what it objects to (unknown keys, bad paths) and exits non-zero.
    expect(execFileSync("systemd-analyze", ["verify", unit], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })).toBe("");
    const text = readFileSync(unit, "utf8");
    const home = /^Environment=VIDYA_HOME=(\S+)$/m.exec(text)?.[1];
    expect(text).toMatch(new RegExp(`^ReadWritePaths=${home}$`, "m"));
    expect(text).toMatch(/^ExecStart=.*\bvidya node start$/m);
    const docker = readFileSync(join(ROOT, "packaging", "Dockerfile"), "utf8");
    const imageMajor = Number(/^FROM node:(\d+)/m.exec(docker)?.[1]);
    const engines = JSON.parse(readFileSync(join(prefix, "node_modules", "vidya", "package.json"), "utf8")).engines.node as string;
    expect(imageMajor).toBeGreaterThanOrEqual(Number(/>=(\d+)/.exec(engines)![1]));
    expect(docker).toMatch(/^ENV VIDYA_HOME=\/data\b/m);
    expect(docker).toMatch(/^VOLUME \/data$/m);
  });

  it("runs as a node of the local network under the system's Node: registers, reports its hosted subset and passes the edge's challenges", async () => {
    net = await LocalNetwork.start({
      dir: netDir,
      datasetDir: join(ROOT, ".vidya", "dataset"),
      nodes: [["retro-arcade-pack"]],
      vidya: [node, installedBin],
    });
    const [n] = net.nodes;
    const t = net.dataset.find((d) => d.name === "retro-arcade-pack")!;
    expect((await net.status(n!)).hosted).toEqual([t.infoHash]);
    const mine = (await net.runChallenges()).filter((c) => c.node.toLowerCase() === n!.address.toLowerCase());
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.every((c) => c.verdict === "pass"), JSON.stringify(mine)).toBe(true);
    // The node process is the installed bundle under the system's Node, not node/cli.ts.
    expect(readFileSync(`/proc/${n!.process.child.pid}/cmdline`, "utf8").split("\0").slice(0, 2)).toEqual([node, installedBin]);
  });
});
