// Bundles the members' site's browser scripts (worker/web/client/) into the worker's static
// assets (worker/web/public/static/, served by wrangler's asset binding). Pages work without
// them; the scripts only add what needs a wallet (sign-in, transactions, the proof check).
// The browser runs the same protocol/ code as the worker and the node: one place per format.
//
// wrangler runs this before `dev` and `deploy` (wrangler.jsonc `build.command`); the test
// runner and `npm start` run it too.

import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "worker", "web", "public", "static");
mkdirSync(OUT, { recursive: true });

const result = await build({
  entryPoints: [join(ROOT, "worker", "web", "client", "app.ts")],
  outfile: join(OUT, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});
const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
console.log(`built worker/web/public/static/app.js (${(bytes / 1024).toFixed(1)} KiB)`);
