// Worker tests run inside workerd (@cloudflare/vitest-plugin) against the real bindings of
// wrangler.jsonc: D1 with our migrations, the SwarmShard Durable Objects. The Node-side
// global setup starts real TCP seeders for the challenge tests.

import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Must match ADMIN_TOKEN and TRANSCRIPT_KEY in test/worker/support/worker.ts.
const TEST_ADMIN_TOKEN = "test-admin-token";
/** A Worker isolate's memory on Cloudflare, MB. */
const WORKER_HEAP_MB = 128;
// Must match ORIGIN in test/worker/support/worker.ts: the site's configured origin (SIWE domain and URI).
const TEST_SITE_ORIGIN = "http://tracker.test";
const TEST_TRANSCRIPT_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

// Every isolate of the suite gets a Worker's 128 MB of heap (PLATFORM.md; local workerd sets no
// limit): a test whose worker outgrows it dies with "JavaScript heap out of memory", as the
// isolate would on Cloudflare. Miniflare passes these flags to workerd's V8; set the variable to
// change them (an empty value lifts the limit).
process.env.MINIFLARE_WORKERD_V8_FLAGS ??= `--max-old-space-size=${WORKER_HEAP_MB}`;

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.jsonc" },
        miniflare: {
          // Test-only bindings; CHAIN_RPC_URL stays unset so epochs close without posting.
          // TEST_CLOCK lets a request carry its clock (X-Test-Now) so the time rules can be tested.
          // SCALE_NODES/SCALE_TORRENTS size the epoch scale test (npm run bench:close sets them).
          bindings: {
            TEST_MIGRATIONS: migrations,
            LOCAL_DEV: "1",
            ADMIN_TOKEN: TEST_ADMIN_TOKEN,
            TRANSCRIPT_PRIVATE_KEY: TEST_TRANSCRIPT_KEY,
            TEST_CLOCK: "1",
            SITE_ORIGIN: TEST_SITE_ORIGIN,
            SCALE_NODES: process.env.SCALE_NODES ?? "",
            SCALE_TORRENTS: process.env.SCALE_TORRENTS ?? "",
            // EPOCH_SETTLE=whole runs the closes whole (paged is the default: worker/epoch/settle-mode.ts).
            EPOCH_SETTLE: process.env.EPOCH_SETTLE ?? "",
            EPOCH_SETTLE_PAGE_TORRENTS: process.env.EPOCH_SETTLE_PAGE_TORRENTS ?? "",
          },
        },
      }),
    ],
    test: {
      include: ["test/worker/**/*.test.ts"],
      setupFiles: ["./test/worker/apply-migrations.ts"],
      globalSetup: ["./test/worker/global-setup.ts"],
      testTimeout: 30_000,
    },
  };
});
