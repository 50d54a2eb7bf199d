// `npm run dev`: the worker alone in workerd with local D1 (migrations applied first).
// Chain settings come from wrangler.jsonc's vars; secrets from .dev.vars (see README).
import { spawnSync, spawn } from "node:child_process";
import { join } from "node:path";
import { WRANGLER_QUIET_ARGS, WRANGLER_QUIET_ENV } from "./network/edge.ts";

const ROOT = join(import.meta.dirname, "..");
const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");
const env = { ...process.env, CI: "1" };
const m = spawnSync(wrangler, ["d1", "migrations", "apply", "vidya", "--local"], { cwd: ROOT, stdio: "inherit", env });
if (m.status !== 0) process.exit(m.status ?? 1);
// No request log and no debug log file: announce paths carry passkeys (scripts/network/edge.ts).
const child = spawn(wrangler, ["dev", "--local", "--test-scheduled", "--var", "LOCAL_DEV:1", ...WRANGLER_QUIET_ARGS, ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, ...WRANGLER_QUIET_ENV },
});
const stop = () => child.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
child.on("exit", (code) => process.exit(code ?? 0));
