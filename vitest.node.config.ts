// Tests that run in Node: protocol vectors and properties, the node, and the end-to-end
// network. Worker tests run inside workerd: see vitest.worker.config.ts.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "protocol", include: ["protocol/**/*.test.ts"] } },
      { test: { name: "node", include: ["node/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
