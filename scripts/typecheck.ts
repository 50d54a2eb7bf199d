// Type-checks the TypeScript projects: Node-side (protocol, node, scripts, tests), the worker
// (with the Workers runtime types) and the site's browser scripts (DOM types).
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const tsc = join(ROOT, "node_modules", ".bin", "tsc");
let failed = false;
for (const project of ["tsconfig.json", "worker/tsconfig.json", "worker/web/client/tsconfig.json"]) {
  const r = spawnSync(tsc, ["-p", project], { cwd: ROOT, stdio: "inherit" });
  console.log(`tsc -p ${project}: ${r.status === 0 ? "ok" : "errors"}`);
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
