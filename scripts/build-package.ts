// Builds the installable `vidya` npm package (issue 15 part 2) into .tmp/package/ and packs it
// with `npm pack`. esbuild bundles node/cli.ts with everything it imports, npm dependencies
// included, for Node >= 20: the repository runs TypeScript under Node 24 (type stripping,
// import.meta.main), which a user's Node 20 or 22 cannot. Measured: the bundle is a 0.6 MB
// tarball (2.5 MB unpacked) with no dependencies that installs offline in half a second, where
// the production dependencies take 197 MB and Node 24 as a dependency 121 MB more; and a node
// run from it idles at 125 MB seeding 5 GiB, against 208 MB for node/cli.ts under Node 24
// (docs/install.md, README "The seeding node").
// Usage: node scripts/build-package.ts [--out DIR]; prints the tarball's path.

import { build, type Plugin } from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

export const ROOT = join(import.meta.dirname, "..");
/** The oldest Node the package runs on: Debian 13's (import.meta.dirname needs 20.11). */
export const MIN_NODE = "20.11";

/**
 * WebRTC left out: the node and `vidya get` reach peers over TCP through the HTTP tracker, and
 * webtorrent's WebRTC (node-datachannel) is a native addon per platform (8.7 MB, glibc x64
 * here) that a bundle cannot carry. simple-peer then reports no WebRTC support, as in a
 * runtime without it, and the tracker client skips WebRTC offers.
 */
const noWebRtc: Plugin = {
  name: "no-webrtc",
  setup(b) {
    b.onResolve({ filter: /^webrtc-polyfill$/ }, () => ({ path: "webrtc-polyfill", namespace: "no-webrtc" }));
    b.onLoad({ filter: /.*/, namespace: "no-webrtc" }, () => ({
      contents: "export const RTCPeerConnection = undefined, RTCSessionDescription = undefined, RTCIceCandidate = undefined; export default {};",
      loader: "js",
    }));
  },
};

export interface BuiltPackage {
  dir: string;
  tarball: string;
  version: string;
}

export async function buildPackage(out = join(ROOT, ".tmp", "package")): Promise<BuiltPackage> {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; description: string; license: string };
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { vidya: join(ROOT, "node", "bin.ts") },
    outdir: join(out, "dist"),
    bundle: true,
    // Chunks keep the commands lazy, as in the repository: `--help` loads neither webtorrent nor viem.
    splitting: true,
    format: "esm",
    platform: "node",
    target: `node${MIN_NODE}`,
    minifyWhitespace: true,
    legalComments: "linked",
    logLevel: "warning",
    // Bundled CommonJS dependencies call require(); ESM output has none unless given one.
    plugins: [noWebRtc],
    banner: { js: `import { createRequire as __vidyaRequire } from "node:module"; const require = __vidyaRequire(import.meta.url);` },
  });
  // The bin is a plain file npm links into PATH; node/cli.ts finds package.json one level up from dist/.
  mkdirSync(join(out, "bin"));
  writeFileSync(join(out, "bin", "vidya.js"), `#!/usr/bin/env node\nimport "../dist/vidya.js";\n`, { mode: 0o755 });
  const pkg = {
    name: "vidya",
    version: root.version,
    description: root.description,
    license: root.license,
    type: "module",
    bin: { vidya: "bin/vidya.js" },
    engines: { node: `>=${MIN_NODE}` },
    files: ["bin", "dist", "README.md"],
  };
  writeFileSync(join(out, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  copyFileSync(join(ROOT, "docs", "install.md"), join(out, "README.md"));
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", out], { cwd: out, encoding: "utf8" })) as { filename: string }[];
  return { dir: out, tarball: join(out, packed[0]!.filename), version: root.version };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const built = await buildPackage(values.out);
  process.stdout.write(`${built.tarball}\n`);
}
