// Deploys the contracts with viem from forge's artifacts (contracts/out; run
// `npm run build:contracts` first): VidyaToken, EpochRewards (which creates HostingBounties and
// holds back part of every claim) wired as the token's only minter, Staking (with the fee pool)
// wired as the only taker of held earnings, Escrow and HostingBadges.
// Works against anvil and any RPC.
//   DEPLOYER_PRIVATE_KEY=0x… npm run deploy:contracts -- --rpc URL --poster A --guardian B --treasury C [options]
// The poster (the worker's key), the guardian and the treasury (holder of the genesis supply)
// must be three different addresses: the worker's key holds no supply and no guardian power.
// Writes wrangler.jsonc with the worker's vars (addresses, chain id) merged in to --out
// (default wrangler.deploy.jsonc; contracts/worker-config.ts). Other options: --public-rpc URL,
// --genesis-supply, --emission-per-epoch (wei), --dispute-delay, --unbonding-delay,
// --max-lock, --fee-stream, --withdrawal-delay, --holdback-vesting (seconds), --lock-boost-cap
// (18 decimals), --holdback-bps, --holdback-new-bps, --holdback-new-vesting and --holdback-age-ramp
// (seconds), --badge-uri (ERC-1155 metadata URI with {id}).
// Numbers default to protocol/vectors/params.json (generated from protocol/params.ts).
// The token's market (contracts/uniswap.ts): Uniswap v3 from its npm bytecode, or the chain's
// canonical one adopted with --weth, --uniswap-factory, --uniswap-router, --uniswap-quoter
// [--uniswap-position-manager]; the VIDYA/WETH pool found, created or adopted
// (--vidya-weth-pool), opened at --pool-price (ETH per VIDYA), --pool-fee, --pool-cardinality;
// liquidity from the treasury with TREASURY_PRIVATE_KEY and --pool-liquidity-vidya/-eth;
// HostingRouter. --no-market skips it.
// Prints the addresses as JSON; never prints a key.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  isAddress,
  type Abi,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
} from "viem";
import { MULTICALL3_ADDRESS } from "../protocol/multicall.ts";
import { workerVars, writeWorkerConfig } from "./worker-config.ts";
import { deployMarket, type Market, type MarketOptions } from "./uniswap.ts";
import { parseAmount } from "../protocol/market/amounts.ts";
import { privateKeyToAccount } from "viem/accounts";
import {
  ESCROW_WITHDRAWAL_DELAY_SECONDS,
  FEE_STREAM_SECONDS,
  HOLDBACK_BPS,
  HOLDBACK_VESTING_SECONDS,
  HOLDBACK_NEW_BPS,
  HOLDBACK_NEW_VESTING_SECONDS,
  HOLDBACK_AGE_RAMP_SECONDS,
  LOCK_BOOST_CAP,
  MAX_LOCK_SECONDS,
} from "../protocol/params.ts";

const ROOT = join(import.meta.dirname, "..");

export type ContractName = "VidyaToken" | "Staking" | "EpochRewards" | "HostingBounties" | "Escrow" | "HostingBadges" | "Aggregate3" | "HostingRouter";

export interface Artifact {
  abi: Abi;
  bytecode: Hex;
}

/** Reads contracts/out/<name>.sol/<name>.json, the artifact `forge build` writes. */
export function loadArtifact(name: ContractName): Artifact {
  const file = join(ROOT, "contracts", "out", `${name}.sol`, `${name}.json`);
  let json: { abi: Abi; bytecode: { object: Hex } };
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${file}: run \`npm run build:contracts\` first (${(error as Error).message})`);
  }
  return { abi: json.abi, bytecode: json.bytecode.object };
}

export function loadAbi(name: ContractName): Abi {
  return loadArtifact(name).abi;
}

/** The ABIs from the artifacts, read on first use. Typed literals for callers live in contracts/abi.ts. */
export const abis = {
  get token(): Abi {
    return loadAbi("VidyaToken");
  },
  get staking(): Abi {
    return loadAbi("Staking");
  },
  get epochRewards(): Abi {
    return loadAbi("EpochRewards");
  },
  get bounties(): Abi {
    return loadAbi("HostingBounties");
  },
  get escrow(): Abi {
    return loadAbi("Escrow");
  },
  get badges(): Abi {
    return loadAbi("HostingBadges");
  },
};

/** Default metadata URI of the badges; `{id}` is the epoch (ERC-1155 substitution). */
export const DEFAULT_BADGE_URI = "https://vidya.example/badges/{id}.json";

export interface DeployOptions {
  rpcUrl: string;
  deployerKey: Hex;
  genesisHolder: Address;
  poster: Address;
  guardian: Address;
  emissionPerEpoch: bigint;
  genesisSupply: bigint;
  disputeDelaySeconds: bigint;
  unbondingDelaySeconds: bigint;
  /** Longest lock and its boost (18 decimals); default MAX_LOCK_SECONDS and LOCK_BOOST_CAP. */
  maxLockSeconds?: bigint;
  lockBoostCap?: bigint;
  /** Window over which fees stream to stakers; default FEE_STREAM_SECONDS. */
  feeStreamSeconds?: bigint;
  /** Escrow withdrawal delay; default ESCROW_WITHDRAWAL_DELAY_SECONDS. */
  withdrawalDelaySeconds?: bigint;
  /** Share of an aged node's claims held back as its bond, and its vesting period; default HOLDBACK_BPS and HOLDBACK_VESTING_SECONDS. */
  holdbackBps?: bigint;
  holdbackVestingSeconds?: bigint;
  /** A new node's (first claim) share and vesting, and the age at which the aged ones apply; default HOLDBACK_NEW_BPS, HOLDBACK_NEW_VESTING_SECONDS, HOLDBACK_AGE_RAMP_SECONDS. */
  holdbackNewBps?: bigint;
  holdbackNewVestingSeconds?: bigint;
  holdbackAgeRampSeconds?: bigint;
  badgeUri?: string;
  /** The token's market (contracts/uniswap.ts): Uniswap deployed or adopted, the VIDYA/WETH pool, HostingRouter. Absent: no market. */
  market?: MarketOptions;
  /** Defaults to a chain defined from the RPC's chain id. */
  chain?: Chain;
}

export interface Deployment {
  token: Address;
  staking: Address;
  epochRewards: Address;
  /** Created by EpochRewards in its constructor; EpochRewards is its only drawer. */
  bounties: Address;
  escrow: Address;
  badges: Address;
  /** Multicall3 (aggregate3): MULTICALL3_ADDRESS, where our Aggregate3 was put on a chain without it (anvil), or its own address elsewhere. */
  multicall3: Address;
  /** Uniswap, the VIDYA/WETH pool and HostingRouter, when a market was asked for. */
  market?: Market;
  chainId: number;
  /** Hashes of the seven transactions: token, epochRewards, setMinter, staking, setStaking, escrow, badges. */
  txHashes: Record<string, Hex>;
}

/**
 * Deploys in order (token → epochRewards → token.setMinter → staking → epochRewards.setStaking
 * → escrow → badges), waiting for each receipt, from one key that owns its nonce. Constructor
 * arguments: VidyaToken(genesisHolder, genesisSupply, emissionPerEpoch, minter = 0),
 * EpochRewards(token, poster, guardian, disputeDelay, [holdbackBps, holdbackVesting, holdbackNewBps,
 * holdbackNewVesting, holdbackAgeRamp]),
 * Staking(token, epochRewards, unbondingDelay, maxLock, lockBoostCap, feeStream),
 * Escrow(token, epochRewards, staking, withdrawalDelay), HostingBadges(epochRewards, badgeUri).
 */
export async function deployContracts(opts: DeployOptions): Promise<Deployment> {
  const transport = http(opts.rpcUrl);
  const chainId = opts.chain?.id ?? (await createPublicClient({ transport }).getChainId());
  const chain =
    opts.chain ??
    defineChain({
      id: chainId,
      name: `chain ${chainId}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [opts.rpcUrl] } },
    });
  const account = privateKeyToAccount(opts.deployerKey);
  const wallet = createWalletClient({ account, chain, transport });
  const client = createPublicClient({ chain, transport });
  const txHashes: Record<string, Hex> = {};

  const confirm = async (label: string, hash: Hex) => {
    txHashes[label] = hash;
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${label}: transaction ${hash} reverted`);
    return receipt;
  };
  const deploy = async (label: string, name: ContractName, args: readonly unknown[]): Promise<Address> => {
    const { abi, bytecode } = loadArtifact(name);
    const receipt = await confirm(label, await wallet.deployContract({ abi, bytecode, args }));
    if (!receipt.contractAddress) throw new Error(`${label}: no contract address in receipt`);
    return receipt.contractAddress;
  };

  const zero: Address = "0x0000000000000000000000000000000000000000";
  const token = await deploy("token", "VidyaToken", [opts.genesisHolder, opts.genesisSupply, opts.emissionPerEpoch, zero]);
  const epochRewards = await deploy("epochRewards", "EpochRewards", [
    token,
    opts.poster,
    opts.guardian,
    opts.disputeDelaySeconds,
    [
      opts.holdbackBps ?? HOLDBACK_BPS,
      opts.holdbackVestingSeconds ?? BigInt(HOLDBACK_VESTING_SECONDS),
      opts.holdbackNewBps ?? HOLDBACK_NEW_BPS,
      opts.holdbackNewVestingSeconds ?? BigInt(HOLDBACK_NEW_VESTING_SECONDS),
      opts.holdbackAgeRampSeconds ?? BigInt(HOLDBACK_AGE_RAMP_SECONDS),
    ],
  ]);
  await confirm(
    "setMinter",
    await wallet.writeContract({ address: token, abi: loadAbi("VidyaToken"), functionName: "setMinter", args: [epochRewards] }),
  );
  const staking = await deploy("staking", "Staking", [
    token,
    epochRewards,
    opts.unbondingDelaySeconds,
    opts.maxLockSeconds ?? BigInt(MAX_LOCK_SECONDS),
    opts.lockBoostCap ?? LOCK_BOOST_CAP,
    opts.feeStreamSeconds ?? BigInt(FEE_STREAM_SECONDS),
  ]);
  // Roots can be posted only once Staking, the only taker of held earnings, is wired.
  await confirm(
    "setStaking",
    await wallet.writeContract({ address: epochRewards, abi: loadAbi("EpochRewards"), functionName: "setStaking", args: [staking] }),
  );
  const escrow = await deploy("escrow", "Escrow", [
    token,
    epochRewards,
    staking,
    opts.withdrawalDelaySeconds ?? BigInt(ESCROW_WITHDRAWAL_DELAY_SECONDS),
  ]);
  const badges = await deploy("badges", "HostingBadges", [epochRewards, opts.badgeUri ?? DEFAULT_BADGE_URI]);
  const bounties = (await client.readContract({ address: epochRewards, abi: loadAbi("EpochRewards"), functionName: "bounties" })) as Address;
  const multicall3 = await ensureMulticall3(client, deploy);
  const market = opts.market
    ? await deployMarket({ client, wallet, walletFor: (a) => createWalletClient({ account: a, chain, transport }), token, staking, bounties, confirm, deployOwn: (label, args) => deploy(label, "HostingRouter", args) }, opts.market)
    : undefined;
  return { token, staking, epochRewards, bounties, escrow, badges, multicall3, ...(market ? { market } : {}), chainId, txHashes };
}

/**
 * Multicall3 where the worker expects it: already there on every major chain; elsewhere our
 * Aggregate3 is deployed and, on anvil, its code copied to MULTICALL3_ADDRESS (anvil_setCode).
 * A chain that refuses both gets the deployed address (the worker's MULTICALL3_ADDRESS var).
 */
async function ensureMulticall3(client: PublicClient, deploy: (label: string, name: ContractName, args: readonly unknown[]) => Promise<Address>): Promise<Address> {
  const code = await client.getCode({ address: MULTICALL3_ADDRESS });
  if (code && code !== "0x") return MULTICALL3_ADDRESS;
  const own = await deploy("aggregate3", "Aggregate3", []);
  const runtime = await client.getCode({ address: own });
  try {
    await client.request({ method: "anvil_setCode" as never, params: [MULTICALL3_ADDRESS, runtime] as never });
    return MULTICALL3_ADDRESS;
  } catch {
    return own;
  }
}

/**
 * The market from the flags: the chain's canonical Uniswap v3 adopted when --weth,
 * --uniswap-factory, --uniswap-router and --uniswap-quoter are given (all four), else deployed
 * from Uniswap's npm bytecode; an existing pool with --vidya-weth-pool. Liquidity comes from the
 * treasury's own key (TREASURY_PRIVATE_KEY, never a flag) with --pool-liquidity-vidya and
 * --pool-liquidity-eth in whole tokens; without them the pool opens empty.
 */
function marketOptions(values: Record<string, string | boolean | undefined>, treasury: Address): MarketOptions {
  const str = (k: string) => values[k] as string | undefined;
  const addrOrNull = (k: string): Address | undefined => {
    const v = str(k);
    if (v !== undefined && !isAddress(v)) throw new Error(`--${k}: not an address: ${v}`);
    return v as Address | undefined;
  };
  const canonical = ["weth", "uniswap-factory", "uniswap-router", "uniswap-quoter"].map(addrOrNull);
  if (canonical.some(Boolean) && !canonical.every(Boolean)) throw new Error("adopting Uniswap needs all of --weth, --uniswap-factory, --uniswap-router and --uniswap-quoter");
  const [weth, factory, router, quoter] = canonical;
  const opts: MarketOptions = {
    ...(weth ? { adopt: { weth, factory: factory!, router: router!, quoter: quoter!, positionManager: addrOrNull("uniswap-position-manager") ?? null } } : {}),
    ...(str("vidya-weth-pool") ? { pool: addrOrNull("vidya-weth-pool")! } : {}),
    ...(str("pool-fee") ? { fee: Number(str("pool-fee")) } : {}),
    ...(str("pool-price") ? { priceWeiPerVidya: parseAmount(str("pool-price")!, "ETH per VIDYA (--pool-price)") } : {}),
    ...(str("pool-cardinality") ? { cardinality: Number(str("pool-cardinality")) } : {}),
  };
  const vidya = str("pool-liquidity-vidya");
  const eth = str("pool-liquidity-eth");
  if (vidya || eth) {
    if (!vidya || !eth) throw new Error("liquidity needs both --pool-liquidity-vidya and --pool-liquidity-eth");
    const key = process.env.TREASURY_PRIVATE_KEY;
    if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error("adding liquidity needs TREASURY_PRIVATE_KEY (the treasury's key: it holds the genesis supply)");
    const account = privateKeyToAccount(key as Hex);
    if (account.address.toLowerCase() !== treasury.toLowerCase()) throw new Error("TREASURY_PRIVATE_KEY is not the key of --treasury");
    opts.liquidity = { account, vidya: parseAmount(vidya, "VIDYA"), eth: parseAmount(eth, "ETH") };
  }
  return opts;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rpc: { type: "string" },
      treasury: { type: "string" },
      "genesis-holder": { type: "string" },
      out: { type: "string", default: "wrangler.deploy.jsonc" },
      "public-rpc": { type: "string" },
      poster: { type: "string" },
      guardian: { type: "string" },
      "genesis-supply": { type: "string" },
      "emission-per-epoch": { type: "string" },
      "dispute-delay": { type: "string" },
      "unbonding-delay": { type: "string" },
      "max-lock": { type: "string" },
      "lock-boost-cap": { type: "string" },
      "fee-stream": { type: "string" },
      "withdrawal-delay": { type: "string" },
      "holdback-bps": { type: "string" },
      "holdback-vesting": { type: "string" },
      "holdback-new-bps": { type: "string" },
      "holdback-new-vesting": { type: "string" },
      "holdback-age-ramp": { type: "string" },
      "badge-uri": { type: "string" },
      // The token's market (contracts/uniswap.ts).
      "no-market": { type: "boolean", default: false },
      weth: { type: "string" },
      "uniswap-factory": { type: "string" },
      "uniswap-router": { type: "string" },
      "uniswap-quoter": { type: "string" },
      "uniswap-position-manager": { type: "string" },
      "vidya-weth-pool": { type: "string" },
      "pool-fee": { type: "string" },
      "pool-price": { type: "string" },
      "pool-cardinality": { type: "string" },
      "pool-liquidity-vidya": { type: "string" },
      "pool-liquidity-eth": { type: "string" },
    },
  });
  const key = process.env.DEPLOYER_PRIVATE_KEY;
  if (!values.rpc) throw new Error("--rpc URL is required");
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error("DEPLOYER_PRIVATE_KEY must be a 0x-prefixed 32-byte hex key");
  const deployer = privateKeyToAccount(key as Hex).address;

  let params: Record<string, string | number> = {};
  try {
    params = JSON.parse(readFileSync(join(ROOT, "protocol", "vectors", "params.json"), "utf8"));
  } catch {}
  const num = (flag: string | undefined, param: string): bigint => {
    const value = flag ?? params[param];
    if (value === undefined) throw new Error(`no value for ${param}: pass it as a flag or generate protocol/vectors/params.json`);
    return BigInt(value);
  };
  const addr = (flag: string | undefined, name: string): Address => {
    if (!flag) throw new Error(`--${name} ADDRESS is required`);
    if (!isAddress(flag)) throw new Error(`--${name}: not an address: ${flag}`);
    return flag;
  };
  const poster = addr(values.poster, "poster");
  const guardian = addr(values.guardian, "guardian");
  const treasury = addr(values.treasury ?? values["genesis-holder"], "treasury");
  const roles = { poster, guardian, treasury };
  const same = Object.entries(roles).filter(([, a], i, all) => all.findIndex(([, b]) => b.toLowerCase() === a.toLowerCase()) !== i);
  if (same.length) throw new Error(`--poster, --guardian and --treasury must be three different addresses (the worker's key holds no supply and no guardian power): ${same.map(([k]) => k).join(", ")} repeats one`);
  if (poster.toLowerCase() === deployer.toLowerCase()) console.error("deploy: warning: the poster is the deployer; use a key of its own for the worker");

  const deployment = await deployContracts({
    rpcUrl: values.rpc,
    deployerKey: key as Hex,
    genesisHolder: treasury,
    poster,
    guardian,
    genesisSupply: num(values["genesis-supply"], "GENESIS_SUPPLY"),
    emissionPerEpoch: num(values["emission-per-epoch"], "EMISSION_PER_EPOCH"),
    disputeDelaySeconds: num(values["dispute-delay"], "DISPUTE_DELAY_SECONDS"),
    unbondingDelaySeconds: num(values["unbonding-delay"], "UNBONDING_DELAY_SECONDS"),
    maxLockSeconds: num(values["max-lock"], "MAX_LOCK_SECONDS"),
    lockBoostCap: num(values["lock-boost-cap"], "LOCK_BOOST_CAP"),
    feeStreamSeconds: num(values["fee-stream"], "FEE_STREAM_SECONDS"),
    withdrawalDelaySeconds: num(values["withdrawal-delay"], "ESCROW_WITHDRAWAL_DELAY_SECONDS"),
    holdbackBps: num(values["holdback-bps"], "HOLDBACK_BPS"),
    holdbackVestingSeconds: num(values["holdback-vesting"], "HOLDBACK_VESTING_SECONDS"),
    holdbackNewBps: num(values["holdback-new-bps"], "HOLDBACK_NEW_BPS"),
    holdbackNewVestingSeconds: num(values["holdback-new-vesting"], "HOLDBACK_NEW_VESTING_SECONDS"),
    holdbackAgeRampSeconds: num(values["holdback-age-ramp"], "HOLDBACK_AGE_RAMP_SECONDS"),
    badgeUri: values["badge-uri"] ?? DEFAULT_BADGE_URI,
    ...(values["no-market"] ? {} : { market: marketOptions(values, treasury) }),
  });
  const vars = workerVars(deployment, values["public-rpc"]);
  writeWorkerConfig(join(ROOT, "wrangler.jsonc"), resolve(values.out!), vars);
  console.log(JSON.stringify({ ...deployment, roles, workerVars: vars, wranglerConfig: values.out }, null, 2));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
