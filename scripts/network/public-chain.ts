// A fresh chain as an operator meets it (issue 13 "Show it"): anvil with Base Sepolia's chain id
// 84532, the contracts deployed by the real `npm run deploy:contracts` command line with three
// different keys for poster, guardian and treasury, and the wrangler config it writes.

import { createPublicClient, http, parseEther, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { parseJsonc } from "../../contracts/worker-config.ts";
import { ROOT, bin, ensureArtifacts } from "./chain.ts";
import { freePort, run, waitFor, type ProcessGroup } from "./processes.ts";

export interface DeployedChain {
  rpcUrl: string;
  chainId: number;
  posterKey: Hex;
  guardianKey: Hex;
  treasuryKey: Hex;
  /** The vars of the wrangler config deploy:contracts wrote. */
  vars: Record<string, string>;
}

export async function startDeployedChain(group: ProcessGroup, chainId = 84532): Promise<DeployedChain> {
  await ensureArtifacts();
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  group.start(`anvil-${chainId}`, bin("anvil"), ["--host", "127.0.0.1", "--port", String(port), "--chain-id", String(chainId), "--silent"]);
  const pub = createPublicClient({ transport: http(rpcUrl) });
  await waitFor("anvil", async () => (await pub.getChainId()) || undefined, 30_000);
  const [deployerKey, posterKey, guardianKey, treasuryKey] = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey(), generatePrivateKey()];
  for (const k of [deployerKey, posterKey, guardianKey, treasuryKey])
    await pub.request({ method: "anvil_setBalance" as never, params: [privateKeyToAccount(k).address, `0x${parseEther("100").toString(16)}`] as never });
  const out = join(tmpdir(), `vidya-wrangler-${chainId}-${process.pid}.jsonc`);
  const addr = (k: Hex): Address => privateKeyToAccount(k).address;
  await run(
    bin("node"),
    [
      join(ROOT, "contracts", "deploy.ts"),
      "--rpc",
      rpcUrl,
      "--poster",
      addr(posterKey),
      "--guardian",
      addr(guardianKey),
      "--treasury",
      addr(treasuryKey),
      "--dispute-delay",
      "60",
      // The market: Uniswap from its npm bytecode (no canonical one on this fresh chain), the pool
      // at 0.0002 ETH a VIDYA with the treasury's liquidity, added with the treasury's own key.
      "--pool-price",
      "0.0002",
      "--pool-liquidity-vidya",
      "100000",
      "--pool-liquidity-eth",
      "20",
      "--out",
      out,
    ],
    { cwd: ROOT, env: { ...process.env, DEPLOYER_PRIVATE_KEY: deployerKey, TREASURY_PRIVATE_KEY: treasuryKey }, timeoutMs: 120_000 },
  );
  const vars = (parseJsonc(readFileSync(out, "utf8")) as { vars: Record<string, string> }).vars;
  return { rpcUrl, chainId, posterKey, guardianKey, treasuryKey, vars };
}
