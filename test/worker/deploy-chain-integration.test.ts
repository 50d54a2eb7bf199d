// A fresh chain as an operator meets it (issue 13 "Show it"): anvil with chain id 84532, the
// contracts deployed by the `npm run deploy:contracts` command line (global setup,
// scripts/network/public-chain.ts) with poster, guardian and treasury apart; the worker runs
// on the vars that command wrote, closes and posts an epoch, and a node claims.

import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../worker/index.ts";
import { uniswapV3PoolAbi } from "../../contracts/uniswap-abi.ts";
import { priceFromSqrtX96, vidyaIsToken0 } from "../../protocol/market/price.ts";
import { describe, expect, inject, it } from "vitest";
import { createPublicClient, createWalletClient, defineChain, http, parseEther, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { epochRewardsAbi, vidyaTokenAbi } from "../../contracts/abi.ts";
import { GENESIS_SUPPLY } from "../../protocol/params.ts";
import type { Env } from "../../worker/env.ts";
import { closeEpoch, resumeClose } from "../../worker/epoch/close.ts";
import { db, schema } from "../../worker/db/client.ts";
import { openEpoch, transcriptRow } from "../../worker/challenge/round.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { call, uploadTorrent } from "./support/worker.ts";

const c = inject("deployedChain");
const chain = defineChain({ id: c.chainId, name: "base-sepolia-like", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [c.rpcUrl] } } });
const pub = createPublicClient({ chain, transport: http(c.rpcUrl) });
const rpc = (method: string, params: unknown[] = []) => pub.request({ method: method as never, params: params as never });
const poster = privateKeyToAccount(c.posterKey as Hex).address;
const guardian = privateKeyToAccount(c.guardianKey as Hex).address;
const treasury = privateKeyToAccount(c.treasuryKey as Hex).address;
/** The worker as deployed: the generated config's vars, the RPC and the poster's key as secrets. */
const deployedEnv: Env = { ...(env as unknown as Env), ...c.vars, CHAIN_RPC_URL: c.rpcUrl, CHAIN_PRIVATE_KEY: c.posterKey } as Env;

describe("a fresh chain 84532 deployed by deploy:contracts", () => {
  it("writes every address and the chain id for the worker, and gives the worker's key neither supply nor guardian power (attack: one key holds supply, guardian and poster)", async () => {
    expect(c.vars).toMatchObject({ CHAIN_ID: "84532", MULTICALL3_ADDRESS: "0xcA11bde05977b3631167028862bE2a173976CA11" });
    for (const k of ["TOKEN_ADDRESS", "STAKING_ADDRESS", "EPOCH_REWARDS_ADDRESS", "BOUNTIES_ADDRESS", "ESCROW_ADDRESS", "BADGES_ADDRESS"]) expect(c.vars[k], k).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const rewards = c.vars.EPOCH_REWARDS_ADDRESS as Address;
    expect(await pub.readContract({ address: rewards, abi: epochRewardsAbi, functionName: "poster" })).toBe(poster);
    expect(await pub.readContract({ address: rewards, abi: epochRewardsAbi, functionName: "guardian" })).toBe(guardian);
    const token = c.vars.TOKEN_ADDRESS as Address;
    expect(await pub.readContract({ address: token, abi: vidyaTokenAbi, functionName: "balanceOf", args: [poster] })).toBe(0n);
    // The treasury holds the genesis supply but for what it put into the VIDYA/WETH pool (up to 100,000 VIDYA).
    const held = await pub.readContract({ address: token, abi: vidyaTokenAbi, functionName: "balanceOf", args: [treasury] });
    expect(held).toBeGreaterThanOrEqual(GENESIS_SUPPLY - 100_000n * 10n ** 18n);
    expect(held).toBeLessThan(GENESIS_SUPPLY - 99_000n * 10n ** 18n);
    // /api/chain publishes what the config says, and never the poster's RPC URL.
    const api = (await (await call("/api/chain")).json()) as { chainId: number; rpcUrl: string | null };
    expect(api.rpcUrl).toBeNull();
  });

  it("closes and posts an epoch on it with the generated vars, and the node claims its leaf", async () => {
    const nodeKey = generatePrivateKey();
    const node = privateKeyToAccount(nodeKey);
    const t = fixture(50_000, 9401, "deployed.bin");
    expect((await uploadTorrent(t)).status).toBe(201);
    const d = db(env.DB);
    const epoch = await openEpoch(d);
    await d.insert(schema.challenges).values(transcriptRow(madeTranscript(epoch, node.address.toLowerCase(), t.infoHash, "pass", { host: "10.84.53.2" })));

    const closed = await closeEpoch(deployedEnv).catch(async (e: { code?: string }) => {
      // Final needs a confirmation on top of the post: the next block, then the next tick.
      if (e.code !== "post_pending") throw e;
      await rpc("evm_mine");
      return (await resumeClose(deployedEnv))!;
    });
    expect(closed).toMatchObject({ epoch, state: "final" });
    const rewards = c.vars.EPOCH_REWARDS_ADDRESS as Address;
    expect(await pub.readContract({ address: rewards, abi: epochRewardsAbi, functionName: "lastEpoch" })).toBe(BigInt(epoch));

    // Past the dispute delay (60 s at this deploy), the node claims with its own key.
    await rpc("evm_increaseTime", [61]);
    await rpc("evm_mine");
    await rpc("anvil_setBalance", [node.address, `0x${parseEther("1").toString(16)}`]);
    const proof = (await (await call(`/api/epochs/${epoch}/proof/${node.address}`)).json()) as { cumulative: string; proof: Hex[] };
    const wallet = createWalletClient({ account: node, chain, transport: http(c.rpcUrl) });
    const hash = await wallet.writeContract({ address: rewards, abi: epochRewardsAbi, functionName: "claim", args: [BigInt(epoch), node.address, BigInt(proof.cumulative), proof.proof] });
    expect((await pub.waitForTransactionReceipt({ hash })).status).toBe("success");
    expect(await pub.readContract({ address: rewards, abi: epochRewardsAbi, functionName: "claimedOf", args: [node.address] })).toBe(BigInt(proof.cumulative));
  });

  it("deploys the market (Uniswap from its npm bytecode, the pool at --pool-price with the treasury's liquidity) and /api/chain publishes it from the generated vars", async () => {
    for (const k of ["WETH_ADDRESS", "UNISWAP_FACTORY_ADDRESS", "UNISWAP_ROUTER_ADDRESS", "UNISWAP_QUOTER_ADDRESS", "UNISWAP_POSITION_MANAGER_ADDRESS", "VIDYA_WETH_POOL_ADDRESS", "HOSTING_ROUTER_ADDRESS"]) expect(c.vars[k], k).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(c.vars.VIDYA_WETH_POOL_FEE).toBe("3000");
    const pool = c.vars.VIDYA_WETH_POOL_ADDRESS as Address;
    const [sqrtPriceX96] = await pub.readContract({ address: pool, abi: uniswapV3PoolAbi, functionName: "slot0" });
    const price = priceFromSqrtX96(sqrtPriceX96, vidyaIsToken0(c.vars.TOKEN_ADDRESS!, c.vars.WETH_ADDRESS!));
    expect(Number(price) / 2e14).toBeCloseTo(1, 6);
    expect(await pub.readContract({ address: pool, abi: uniswapV3PoolAbi, functionName: "liquidity" })).toBeGreaterThan(0n);

    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request("http://tracker.test/api/chain"), deployedEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(await res.json()).toMatchObject({
      weth: c.vars.WETH_ADDRESS,
      uniswapRouter: c.vars.UNISWAP_ROUTER_ADDRESS,
      uniswapQuoter: c.vars.UNISWAP_QUOTER_ADDRESS,
      vidyaWethPool: pool,
      poolFee: 3000,
      hostingRouter: c.vars.HOSTING_ROUTER_ADDRESS,
      multicall3: c.vars.MULTICALL3_ADDRESS,
    });
  });
});
