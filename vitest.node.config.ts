// Tests that run in Node: protocol vectors and properties, the node, and the end-to-end
// network. Worker tests run inside workerd: see vitest.worker.config.ts.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "protocol", include: ["protocol/**/*.test.ts"] } },
      // The simulation's own pure parts (sim/pool.ts: the constant-product market).
      { test: { name: "sim", include: ["sim/**/*.test.ts"] } },
      // The node project boots the real worker (and anvil) per test file: hooks get time for that on a busy machine.
      { test: { name: "node", include: ["node/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 120_000 } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      // Adversarial nodes (relays, forgers, corrupted and deleted data) against the real edge and chain.
      { test: { name: "adversarial", include: ["test/adversarial/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 300_000, fileParallelism: false } },
      // Real clients against the real network (LocalNetwork): Debian's transmission-daemon, aria2c and
      // qbittorrent-nox over HTTP (clients.test.ts), WebTorrent over the WebSocket tracker.
      // The members' site in real headless Chromium (Debian's) against the real network.
      { test: { name: "web", include: ["test/web/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 300_000, fileParallelism: false } },
      { test: { name: "interop", include: ["test/interop/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 300_000, fileParallelism: false } },
    ],
  },
});
