// A native-solc command line over solc-js, enough for forge: `--version` and
// `--standard-json` (input on stdin, output on stdout). Imports that forge did not inline are
// read from disk relative to --base-path, each --include-path, and the working directory.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const solc = require(require.resolve("solc", { paths: [path.resolve(__dirname, "../..")] }));

const args = process.argv.slice(2);

if (args.includes("--version") || args.includes("-v")) {
  // Same shape as native solc; forge reads the semver after "Version: ".
  const v = solc.version().replace(/\.Emscripten\.clang$/, "");
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${v}.Linux.g++\n`);
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write("contracts/solc: only --version and --standard-json are supported\n");
  process.exit(1);
}

const roots = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const take = (flag) => {
    if (a === flag && i + 1 < args.length) return args[++i];
    if (a.startsWith(flag + "=")) return a.slice(flag.length + 1);
    return undefined;
  };
  const base = take("--base-path");
  if (base !== undefined) { roots.push(base); continue; }
  const inc = take("--include-path");
  if (inc !== undefined) roots.push(inc);
}
roots.push(process.cwd(), path.resolve(__dirname, "../.."));

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.resolve(r, importPath));
  for (const file of candidates) {
    try {
      return { contents: fs.readFileSync(file, "utf8") };
    } catch {}
  }
  return { error: `File not found: ${importPath}` };
}

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const input = Buffer.concat(chunks).toString("utf8");
  const output = solc.compile(input, { import: findImports });
  process.stdout.write(output);
});
