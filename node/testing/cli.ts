// The `vidya` command as tests run it: bin/vidya in a child process, its exit code and output
// returned (never thrown), so a test can assert on a refusal's message as on a success.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export const VIDYA_BIN = join(import.meta.dirname, "..", "..", "bin", "vidya");
const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the run, ms. */
  ms: number;
}

/** Runs `vidya args…` with the test's environment plus `env` (NO_COLOR always: output is asserted as text). */
export async function runVidya(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const t = performance.now();
  try {
    const { stdout, stderr } = await run(VIDYA_BIN, args, { env: { ...process.env, NO_COLOR: "1", ...env } });
    return { code: 0, stdout, stderr, ms: performance.now() - t };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr, ms: performance.now() - t };
  }
}

/** The address of the wallet `vidya` keeps in `home` (wallet.json). */
export async function walletAddressOf(home: string): Promise<Address> {
  const { privateKey } = JSON.parse(await readFile(join(home, "wallet.json"), "utf8")) as { privateKey: Hex };
  return privateKeyToAccount(privateKey).address;
}
