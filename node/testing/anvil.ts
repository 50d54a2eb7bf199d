// A throwaway anvil with the three contracts deployed by contracts/deploy.ts. Fresh keys
// every run, funded by anvil_setBalance, so no key is ever written into the repo.

import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { createPublicClient, createWalletClient, http, parseEther, type Abi, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { EMISSION_PER_EPOCH, GENESIS_SUPPLY } from "../../protocol/params.ts";
import { abis, deployContracts } from "../../contracts/deploy.ts";

const ROOT = join(import.meta.dirname, "..", "..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface TestChain {
  rpcUrl: string;
  chainId: number;
  token: Address;
  staking: Address;
  epochRewards: Address;
  publicClient: ReturnType<typeof createPublicClient>;
  deployer: ReturnType<typeof createWalletClient>;
  abis: { token: Abi; staking: Abi; epochRewards: Abi };
  fund(address: Address, ether?: string): Promise<void>;
  /** Moves anvil's clock forward and mines a block. */
  advance(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestChain(disputeDelaySeconds: bigint): Promise<TestChain> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(join(ROOT, "node_modules", ".bin", "anvil"), ["--host", "127.0.0.1", "--port", String(port), "--silent"], { stdio: "ignore" });
  const publicClient = createPublicClient({ chain: foundry, transport: http(rpcUrl) });
  for (let i = 0; ; i++) {
    try {
      await publicClient.getChainId();
      break;
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const fund = async (address: Address, ether = "100") => {
    await publicClient.request({ method: "anvil_setBalance" as never, params: [address, `0x${parseEther(ether).toString(16)}`] as never });
  };
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key);
  await fund(account.address, "1000");
  const deployer = createWalletClient({ account, chain: foundry, transport: http(rpcUrl) });
  const d = await deployContracts({
    rpcUrl,
    deployerKey: key,
    genesisHolder: account.address,
    poster: account.address,
    guardian: account.address,
    emissionPerEpoch: EMISSION_PER_EPOCH,
    genesisSupply: GENESIS_SUPPLY,
    disputeDelaySeconds,
    unbondingDelaySeconds: 7n * 24n * 3600n,
    chain: foundry,
  });
  return {
    rpcUrl,
    chainId: foundry.id,
    token: d.token,
    staking: d.staking,
    epochRewards: d.epochRewards,
    publicClient,
    deployer,
    abis: { token: abis.token, staking: abis.staking, epochRewards: abis.epochRewards },
    fund,
    advance: async (seconds) => {
      await publicClient.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
      await publicClient.request({ method: "evm_mine" as never });
    },
    stop: async () => {
      proc.kill("SIGTERM");
      if (proc.exitCode === null && proc.signalCode === null) await new Promise((r) => proc.once("exit", r));
    },
  };
}
