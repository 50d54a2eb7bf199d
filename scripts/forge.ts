// Runs the repo's forge (npm @foundry-rs/forge) from the repo root with the given arguments:
// `node scripts/forge.ts build|test [args…]`. foundry.toml points forge at contracts/solc/solc,
// so nothing is downloaded. FOUNDRY_PROFILE (e.g. `deep`) passes through the environment.

import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const forge = join(root, "node_modules", ".bin", process.platform === "win32" ? "forge.cmd" : "forge");

const child = spawn(forge, process.argv.slice(2), { cwd: root, stdio: "inherit", env: process.env });
child.on("error", (error) => {
  console.error(`scripts/forge.ts: cannot run ${forge}: ${error.message} (run npm install)`);
  process.exit(127);
});
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
