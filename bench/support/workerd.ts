// Our worker as production runs it, on this machine: the production build (wrangler deploy
// --dry-run --minify) run by Miniflare on workerd, local D1 with every migration applied and
// SQLite Durable Objects, bound from wrangler.jsonc. The benches and the fuzz start it here.

import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { freePort, run } from "../../scripts/network/processes.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");

/** Builds the worker as `wrangler deploy` would; returns the bundle's path. */
export async function buildWorker(outDir: string): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  await run(join(BIN, "wrangler"), ["deploy", "--dry-run", "--minify", "--outdir", outDir], { cwd: ROOT, env: { CI: "1", NODE_ENV: "production" } });
  return join(outDir, "index.js");
}

/** What is read of wrangler.jsonc. */
interface WranglerConfig {
  compatibility_date?: string;
  compatibility_flags: string[];
  vars: Record<string, unknown>;
  d1_databases: { binding: string; database_id?: string }[];
  durable_objects: { bindings: { name: string; class_name: string }[] };
  migrations: { new_sqlite_classes?: string[] }[];
}

/** wrangler.jsonc as wrangler reads it. */
export function wranglerConfig(): WranglerConfig {
  return unstable_readConfig({ config: join(ROOT, "wrangler.jsonc") }, { hideWarnings: true }) as WranglerConfig;
}

export interface Workerd {
  mf: Miniflare;
  url: string;
  d1: Awaited<ReturnType<Miniflare["getD1Database"]>>;
}

/** Starts the built worker on 127.0.0.1 with production vars (LOCAL_DEV 0), the admin token, and the migrations applied. */
export async function startWorkerd(scriptPath: string, adminToken: string, vars: Record<string, string> = {}): Promise<Workerd> {
  const config = wranglerConfig();
  const sqliteClasses = new Set(config.migrations.flatMap((m) => m.new_sqlite_classes ?? []));
  const port = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "vidya",
      modules: true,
      scriptPath,
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      d1Databases: Object.fromEntries(config.d1_databases.map((d) => [d.binding, d.database_id ?? d.binding])),
      durableObjects: Object.fromEntries(config.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: sqliteClasses.has(b.class_name) }])),
      bindings: { ...(config.vars as Record<string, string>), LOCAL_DEV: "0", ADMIN_TOKEN: adminToken, ...vars },
      host: "127.0.0.1",
      port,
      // Production has no request log: Miniflare's posts every request to Node.
      logRequests: false,
    }),
  );
  await mf.ready;
  const d1 = await mf.getD1Database("DB");
  for (const file of readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).sort())
    for (const statement of readFileSync(join(ROOT, "migrations", file), "utf8").split("--> statement-breakpoint"))
      if (statement.trim()) await d1.prepare(statement).run();
  return { mf, url: `http://127.0.0.1:${port}`, d1 };
}
