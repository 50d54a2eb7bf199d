// The local chain: a real anvil node with the contracts deployed. Keys are generated fresh
// for every run and funded with anvil_setBalance, so no key is ever written into the repo.

import { createPublicClient, createWalletClient, http, parseEther, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { deployContracts } from "../../contracts/deploy.ts";
import type { Market } from "../../contracts/uniswap.ts";
import { EMISSION_PER_EPOCH, GENESIS_SUPPLY, INITIAL_PRICE_WEI_PER_VIDYA, LOCAL_POOL_VIDYA, ONE_TOKEN, UNBONDING_DELAY_SECONDS } from "../../protocol/params.ts";
import { freePort, run, waitFor, type ProcessGroup } from "./processes.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
export const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);

export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  deployerKey: Hex;
  posterKey: Hex;
  addresses: {
    token: Address;
    staking: Address;
    epochRewards: Address;
    bounties: Address;
    escrow: Address;
    badges: Address;
    /** The market (contracts/uniswap.ts), by GET /api/chain's names. */
    weth: Address;
    uniswapFactory: Address;
    uniswapRouter: Address;
    uniswapQuoter: Address;
    uniswapPositionManager: Address;
    vidyaWethPool: Address;
    hostingRouter: Address;
  };
  /** Uniswap v3 from its npm bytecode, the VIDYA/WETH pool with the treasury's liquidity, HostingRouter. */
  market: Market;
  /** EpochRewards' dispute delay: roots are final this long after they are posted. */
  disputeDelaySeconds: number;
  deployTxs: Record<string, Hex>;
  fund(address: Address, ether?: string): Promise<void>;
}

/** forge's artifacts, built when one the deploy reads is missing (contracts/out is not committed). */
export async function ensureArtifacts(): Promise<void> {
  const names = ["EpochRewards", "Aggregate3", "HostingRouter"];
  if (names.some((n) => !existsSync(join(ROOT, "contracts", "out", `${n}.sol`, `${n}.json`)))) await run(bin("node"), [join(ROOT, "scripts", "forge.ts"), "build"], { cwd: ROOT });
}

export async function startChain(group: ProcessGroup, opts: { disputeDelaySeconds: bigint }): Promise<LocalChain> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  group.start("anvil", bin("anvil"), ["--host", "127.0.0.1", "--port", String(port), "--chain-id", String(foundry.id), "--silent"]);
  const pub = createPublicClient({ chain: foundry, transport: http(rpcUrl) });
  await waitFor("anvil", async () => (await pub.getChainId()) || undefined, 30_000);
  const fund = async (address: Address, ether = "100") => {
    await pub.request({ method: "anvil_setBalance" as never, params: [address, `0x${parseEther(ether).toString(16)}`] as never });
  };

  await ensureArtifacts();
  const deployerKey = generatePrivateKey();
  const posterKey = generatePrivateKey();
  const deployer = privateKeyToAccount(deployerKey).address;
  const poster = privateKeyToAccount(posterKey).address;
  await fund(deployer, "1000");
  await fund(poster, "1000");
  const d = await deployContracts({
    rpcUrl,
    deployerKey,
    genesisHolder: deployer,
    poster,
    guardian: deployer,
    emissionPerEpoch: EMISSION_PER_EPOCH,
    genesisSupply: GENESIS_SUPPLY,
    disputeDelaySeconds: opts.disputeDelaySeconds,
    unbondingDelaySeconds: BigInt(UNBONDING_DELAY_SECONDS),
    chain: foundry,
    // The deployer is the genesis holder here: the treasury that seeds the pool.
    market: { liquidity: { account: privateKeyToAccount(deployerKey), vidya: LOCAL_POOL_VIDYA, eth: (LOCAL_POOL_VIDYA * INITIAL_PRICE_WEI_PER_VIDYA) / ONE_TOKEN } },
  });
  const m = d.market!;
  return {
    rpcUrl,
    chainId: d.chainId,
    deployerKey,
    posterKey,
    addresses: {
      token: d.token,
      staking: d.staking,
      epochRewards: d.epochRewards,
      bounties: d.bounties,
      escrow: d.escrow,
      badges: d.badges,
      weth: m.weth,
      uniswapFactory: m.factory,
      uniswapRouter: m.router,
      uniswapQuoter: m.quoter,
      uniswapPositionManager: m.positionManager!,
      vidyaWethPool: m.pool,
      hostingRouter: m.hostingRouter,
    },
    market: m,
    deployTxs: d.txHashes,
    disputeDelaySeconds: Number(opts.disputeDelaySeconds),
    fund,
  };
}

export function clients(chain: LocalChain) {
  const publicClient = createPublicClient({ chain: foundry, transport: http(chain.rpcUrl) });
  const deployer = createWalletClient({ account: privateKeyToAccount(chain.deployerKey), chain: foundry, transport: http(chain.rpcUrl) });
  return { publicClient, deployer };
}
