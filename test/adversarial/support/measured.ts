// The adversarial suite's measurements that the simulation reads (sim/measured.ts): written to
// sim/measured/proofs.json only when VIDYA_WRITE_MEASURED=1, so an ordinary run never dirties the
// repo; each test replaces its own section and keeps the others.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../../scripts/network/chain.ts";

export const MEASURED_FILE = join(ROOT, "sim", "measured", "proofs.json");
export const writingMeasured = process.env.VIDYA_WRITE_MEASURED === "1";

export function recordMeasured(section: "relay" | "partialStorage", value: unknown): void {
  if (!writingMeasured) return;
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(MEASURED_FILE, "utf8")) as Record<string, unknown>;
  } catch {
    // first write
  }
  all.description = "Measured by the adversarial suite on the real stack (VIDYA_WRITE_MEASURED=1 npm run test:adversarial -- relay-latency partial-storage); read by sim/measured.ts";
  all[section] = { measuredAt: new Date().toISOString(), ...(value as object) };
  writeFileSync(MEASURED_FILE, JSON.stringify(all, null, 2) + "\n");
}
