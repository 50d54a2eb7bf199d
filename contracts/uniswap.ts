// The token's market (DESIGN.md "The token's market is Uniswap"): Uniswap v3 deployed from the
// bytecode Uniswap's npm packages ship (factory, SwapRouter, QuoterV2, NonfungiblePositionManager,
// WETH9), or the chain's canonical deployment adopted; the VIDYA/WETH pool created and
// initialised at a price, its oracle ring raised for a TWAP, liquidity added from the treasury;
// and HostingRouter (swap and fund a bounty, swap and stake) wired to them.
// One place for it: deployContracts (contracts/deploy.ts) calls deployMarket, and both the
// deploy tool and `npm start`'s anvil (scripts/network/chain.ts) go through deployContracts.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { erc20Abi, getAddress, zeroAddress, type Abi, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from "viem";
import { UNISWAP_ARTIFACTS } from "./uniswap-artifacts.ts";
import { nonfungiblePositionManagerAbi, uniswapV3FactoryAbi, uniswapV3PoolAbi, weth9Abi } from "./uniswap-abi.ts";
import { INITIAL_PRICE_WEI_PER_VIDYA, POOL_FEE, POOL_OBSERVATION_CARDINALITY, POOL_TICK_SPACING, UNISWAP_GAS_HEADROOM_PERCENT } from "../protocol/params.ts";
import { MAX_TICK, sqrtPriceX96ForPrice, vidyaIsToken0 } from "../protocol/market/price.ts";

const ROOT = join(import.meta.dirname, "..");

export type UniswapArtifactName = keyof typeof UNISWAP_ARTIFACTS;

/** Uniswap's artifact as its npm package ships it (WETH9's bytecode has no 0x there). */
export function loadUniswapArtifact(name: UniswapArtifactName): { abi: Abi; bytecode: Hex } {
  const json = JSON.parse(readFileSync(join(ROOT, "node_modules", UNISWAP_ARTIFACTS[name]), "utf8")) as { abi: Abi; bytecode: string };
  return { abi: json.abi, bytecode: (json.bytecode.startsWith("0x") ? json.bytecode : `0x${json.bytecode}`) as Hex };
}

/** Uniswap v3's contracts the network uses. */
export interface UniswapAddresses {
  weth: Address;
  factory: Address;
  router: Address;
  quoter: Address;
  /** Adds liquidity; may be absent when an existing deployment is adopted and no liquidity is added. */
  positionManager: Address | null;
}

/** The market's addresses: the worker's vars and GET /api/chain's fields (contracts/worker-config.ts). */
export interface Market extends UniswapAddresses {
  pool: Address;
  poolFee: number;
  hostingRouter: Address;
}

export interface MarketOptions {
  /** The chain's canonical Uniswap v3 (production); absent: deployed here from the npm artifacts. */
  adopt?: UniswapAddresses;
  /** An existing VIDYA/WETH pool to use (its fee tier is read from it); absent: found or created at `fee`. */
  pool?: Address;
  fee?: number;
  /** A new pool's opening price (wei of ETH per VIDYA); default INITIAL_PRICE_WEI_PER_VIDYA. */
  priceWeiPerVidya?: bigint;
  /** Observations the pool keeps for the TWAP; default POOL_OBSERVATION_CARDINALITY. */
  cardinality?: number;
  /**
   * Full-range liquidity from the treasury, which must hold the VIDYA and the ETH; their ratio
   * must be the pool's price within 2%, or the mint reverts.
   */
  liquidity?: { account: Account; vidya: bigint; eth: bigint };
}

export interface MarketContext {
  client: PublicClient;
  wallet: WalletClient<Transport, Chain, Account>;
  token: Address;
  staking: Address;
  bounties: Address;
  /** Records a transaction and waits for its receipt; throws if it reverted. */
  confirm(label: string, hash: Hex): Promise<{ contractAddress?: Address | null }>;
  /** A wallet on the same chain and RPC for another signer (the treasury). */
  walletFor(account: Account): WalletClient<Transport, Chain, Account>;
  /** Deploys one of our forge artifacts (HostingRouter). */
  deployOwn(label: string, args: readonly unknown[]): Promise<Address>;
}

/** Deploys (or adopts) Uniswap, the pool and HostingRouter. */
export async function deployMarket(ctx: MarketContext, opts: MarketOptions = {}): Promise<Market> {
  const uniswap = opts.adopt ?? (await deployUniswap(ctx));
  const { pool, fee } = await ensurePool(ctx, uniswap, opts);
  if (opts.liquidity) await addFullRangeLiquidity(ctx, uniswap, fee, opts.liquidity);
  const hostingRouter = await ctx.deployOwn("hostingRouter", [ctx.token, uniswap.weth, uniswap.router, ctx.staking, ctx.bounties, fee]);
  return { ...uniswap, pool, poolFee: fee, hostingRouter };
}

/** WETH9, the factory, SwapRouter, QuoterV2 and the position manager (no token descriptor: address 0). */
export async function deployUniswap(ctx: MarketContext): Promise<UniswapAddresses> {
  const deploy = async (label: string, name: UniswapArtifactName, args: readonly unknown[]): Promise<Address> => {
    const { abi, bytecode } = loadUniswapArtifact(name);
    const receipt = await ctx.confirm(label, await ctx.wallet.deployContract({ abi, bytecode, args }));
    if (!receipt.contractAddress) throw new Error(`${label}: no contract address in receipt`);
    return receipt.contractAddress;
  };
  const weth = await deploy("weth9", "WETH9", []);
  const factory = await deploy("uniswapFactory", "UniswapV3Factory", []);
  const router = await deploy("uniswapRouter", "SwapRouter", [factory, weth]);
  const quoter = await deploy("uniswapQuoter", "QuoterV2", [factory, weth]);
  const positionManager = await deploy("uniswapPositionManager", "NonfungiblePositionManager", [factory, weth, zeroAddress]);
  return { weth, factory, router, quoter, positionManager };
}

/**
 * The VIDYA/WETH pool: the one given (checked to pair VIDYA with WETH), else the factory's at
 * `fee`, created when missing; initialised at the opening price when it has none, and its
 * oracle ring raised to the cardinality a TWAP needs.
 */
async function ensurePool(ctx: MarketContext, u: UniswapAddresses, opts: MarketOptions): Promise<{ pool: Address; fee: number }> {
  const read = <T>(address: Address, functionName: string, args: readonly unknown[] = []) =>
    ctx.client.readContract({ address, abi: uniswapV3PoolAbi as Abi, functionName, args }) as Promise<T>;
  let pool: Address;
  let fee = opts.fee ?? POOL_FEE;
  if (opts.pool) {
    pool = getAddress(opts.pool);
    const pair = [await read<Address>(pool, "token0"), await read<Address>(pool, "token1")].map((a) => a.toLowerCase()).sort();
    const want = [ctx.token, u.weth].map((a) => a.toLowerCase()).sort();
    if (pair.join() !== want.join()) throw new Error(`pool ${pool} pairs ${pair.join(" and ")}, not VIDYA ${ctx.token} and WETH ${u.weth}`);
    fee = await read<number>(pool, "fee");
  } else {
    pool = (await ctx.client.readContract({ address: u.factory, abi: uniswapV3FactoryAbi, functionName: "getPool", args: [ctx.token, u.weth, fee] })) as Address;
    if (pool === zeroAddress) {
      await ctx.confirm("createPool", await ctx.wallet.writeContract({ address: u.factory, abi: uniswapV3FactoryAbi, functionName: "createPool", args: [ctx.token, u.weth, fee] }));
      pool = (await ctx.client.readContract({ address: u.factory, abi: uniswapV3FactoryAbi, functionName: "getPool", args: [ctx.token, u.weth, fee] })) as Address;
    }
  }
  const slot0 = await read<readonly [bigint, number, number, number, number, number, boolean]>(pool, "slot0");
  if (slot0[0] === 0n) {
    const sqrtPriceX96 = sqrtPriceX96ForPrice(opts.priceWeiPerVidya ?? INITIAL_PRICE_WEI_PER_VIDYA, vidyaIsToken0(ctx.token, u.weth));
    await ctx.confirm("initializePool", await ctx.wallet.writeContract({ address: pool, abi: uniswapV3PoolAbi, functionName: "initialize", args: [sqrtPriceX96] }));
  }
  const cardinality = opts.cardinality ?? POOL_OBSERVATION_CARDINALITY;
  const current = (await read<readonly [bigint, number, number, number, number, number, boolean]>(pool, "slot0"))[4];
  if (current < cardinality) {
    await ctx.confirm("raiseObservations", await ctx.wallet.writeContract({ address: pool, abi: uniswapV3PoolAbi, functionName: "increaseObservationCardinalityNext", args: [cardinality] }));
  }
  return { pool, fee };
}

/** Full-range ticks for the pool's spacing: the widest position, so the pool quotes at every price. */
export function fullRangeTicks(spacing = POOL_TICK_SPACING): { tickLower: number; tickUpper: number } {
  const upper = Math.floor(MAX_TICK / spacing) * spacing;
  return { tickLower: -upper, tickUpper: upper };
}

/** The treasury wraps `eth`, approves the position manager and mints a full-range position it keeps. */
async function addFullRangeLiquidity(ctx: MarketContext, u: UniswapAddresses, fee: number, l: NonNullable<MarketOptions["liquidity"]>): Promise<void> {
  if (!u.positionManager) throw new Error("adding liquidity needs the position manager's address");
  const w = ctx.walletFor(l.account);
  const from = l.account.address;
  const pm = u.positionManager;
  await ctx.confirm("treasuryWrapEth", await w.writeContract({ address: u.weth, abi: weth9Abi, functionName: "deposit", value: l.eth }));
  await ctx.confirm("treasuryApproveWeth", await w.writeContract({ address: u.weth, abi: weth9Abi, functionName: "approve", args: [pm, l.eth] }));
  await ctx.confirm("treasuryApproveVidya", await w.writeContract({ address: ctx.token, abi: erc20Abi, functionName: "approve", args: [pm, l.vidya] }));
  const token0 = vidyaIsToken0(ctx.token, u.weth);
  const { tickLower, tickUpper } = fullRangeTicks();
  const block = await ctx.client.getBlock();
  const mint = {
    address: pm,
    abi: nonfungiblePositionManagerAbi,
    functionName: "mint",
    args: [
      {
        token0: token0 ? ctx.token : u.weth,
        token1: token0 ? u.weth : ctx.token,
        fee,
        tickLower,
        tickUpper,
        amount0Desired: token0 ? l.vidya : l.eth,
        amount1Desired: token0 ? l.eth : l.vidya,
        // 98% of each: a pool whose price was moved away from the amounts' ratio (an empty
        // pool's price is free to move) refuses the mint ("Price slippage check").
        amount0Min: ((token0 ? l.vidya : l.eth) * 98n) / 100n,
        amount1Min: ((token0 ? l.eth : l.vidya) * 98n) / 100n,
        recipient: from,
        deadline: block.timestamp + 3_600n,
      },
    ],
  } as const;
  const gas = ((await ctx.client.estimateContractGas({ ...mint, account: l.account })) * UNISWAP_GAS_HEADROOM_PERCENT) / 100n;
  await ctx.confirm("addLiquidity", await w.writeContract({ ...mint, gas }));
}
