// The token's market on a real anvil with Uniswap's own bytecode (contracts/uniswap.ts deploys
// v3-core and v3-periphery from their npm artifacts) behind the real edge, driven through
// bin/vidya where a member would: quote then swap with the minimum received enforced, swap and
// fund a bounty in one transaction, swap-stake-join for a wallet that starts with ETH only, and
// the pool's TWAP after several blocks of trades.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFunctionData, erc20Abi, parseEther, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hostingBountiesAbi, hostingRouterAbi, stakingAbi } from "../../contracts/abi.ts";
import { swapRouterAbi, uniswapV3PoolAbi } from "../../contracts/uniswap-abi.ts";
import { ACCESS_STAKE, ONE_TOKEN, TWAP_WINDOW_SECONDS } from "../../protocol/params.ts";
import { priceFromSqrtX96, sqrtRatioAtTick, twapPrice } from "../../protocol/market/price.ts";
import { clients } from "../../scripts/network/chain.ts";
import { deployContracts } from "../../contracts/deploy.ts";
import { makeFixture } from "../testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";
import type { ChainInfo } from "../api.ts";
import { chainClients } from "./clients.ts";
import { marketOf, poolPrice, poolTwap, quote, sendBuy } from "./market.ts";
import { runVidya, walletAddressOf } from "../testing/cli.ts";

const vidya = runVidya;
const addressOf = walletAddressOf;


describe("the VIDYA/WETH market on Uniswap's own bytecode", () => {
  let edge: TestEdge;
  let chain: NonNullable<TestEdge["chain"]>;
  let pub: ReturnType<typeof clients>["publicClient"];
  let info: ChainInfo;
  let n = 0;
  /** A fresh home with a wallet holding `eth` and nothing else. */
  const freshHome = async (eth: string): Promise<{ home: string; address: Address }> => {
    const home = join(edge.dir, `member-${++n}`);
    expect((await vidya(["--home", home, "wallet", "init"])).code).toBe(0);
    const address = await addressOf(home);
    await chain.fund(address, eth);
    return { home, address };
  };
  const vidyaOf = (a: Address) => pub.readContract({ address: chain.addresses.token, abi: erc20Abi, functionName: "balanceOf", args: [a] });
  /** A trader outside the CLI: an account with ETH and viem clients on the market. */
  const trader = async (eth = "1000") => {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    await chain.fund(account.address, eth);
    const c = chainClients(info, account, chain.rpcUrl);
    return { account, c, m: marketOf(c) };
  };

  beforeAll(async () => {
    edge = await startTestEdge("node-market", { chain: { disputeDelaySeconds: 60n } });
    chain = edge.chain!;
    ({ publicClient: pub } = clients(chain));
    info = await edge.api<ChainInfo>("/api/chain");
  });

  afterAll(async () => {
    await edge?.stop();
  });

  it("publishes the market's addresses in /api/chain and the pool opens at the configured price with the treasury's liquidity", async () => {
    expect(info).toMatchObject({
      weth: chain.addresses.weth,
      uniswapRouter: chain.addresses.uniswapRouter,
      uniswapQuoter: chain.addresses.uniswapQuoter,
      vidyaWethPool: chain.addresses.vidyaWethPool,
      hostingRouter: chain.addresses.hostingRouter,
      poolFee: 3000,
    });
    const { c, m } = await trader("1");
    const p = await poolPrice(c, m);
    expect(Number(p.spot) / 1e14).toBeCloseTo(1, 6); // 0.0001 ETH a VIDYA
    expect(await pub.readContract({ address: m.pool, abi: uniswapV3PoolAbi, functionName: "liquidity" })).toBeGreaterThan(0n);
    const slot0 = await pub.readContract({ address: m.pool, abi: uniswapV3PoolAbi, functionName: "slot0" });
    expect(slot0[4]).toBe(100); // observationCardinalityNext raised for the TWAP
  });

  it("quotes, then buys with the minimum received enforced: vidya buy --spend gets at least its bound", async () => {
    const { home, address } = await freshHome("1");
    const quoted = await vidya(["--home", home, "--json", "buy", "--spend", "0.01", "--tracker", edge.url, "--quote"]);
    expect(quoted.code, quoted.stderr).toBe(0);
    const q = JSON.parse(quoted.stdout).quote as { amountOut: string; minimumReceived: string; priceImpactPpm: number };
    expect(BigInt(q.minimumReceived)).toBe((BigInt(q.amountOut) * 9_950n) / 10_000n);
    expect(await vidyaOf(address)).toBe(0n); // --quote sends nothing

    const human = await vidya(["--home", home, "buy", "--spend", "0.01", "--tracker", edge.url]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/quote: 0\.010000 ETH for 9\d\.\d{4} VIDYA/);
    expect(human.stdout).toMatch(/minimum received 9\d\.\d{4} VIDYA \(slippage 0\.50%\)/);
    expect(human.stdout).toMatch(/price impact 0\.\d\d%/);
    expect(human.stdout).toMatch(/30-minute average price( 0\.000\d+ ETH per VIDYA|: not yet)/);
    expect(human.stdout).not.toMatch(/\b\d{15,}\b/); // never wei
    expect(human.stderr).toMatch(/sent transaction 0x[0-9a-f]{64}, waiting for it to be mined/);
    expect(human.stderr).toMatch(/mined in block \d+/);
    expect(await vidyaOf(address)).toBeGreaterThanOrEqual(BigInt(q.minimumReceived));

    const exact = await vidya(["--home", home, "--json", "buy", "25", "--tracker", edge.url]);
    expect(exact.code, exact.stderr).toBe(0);
    expect(BigInt(JSON.parse(exact.stdout).bought)).toBe(25n * ONE_TOKEN);

    const sold = await vidya(["--home", home, "--json", "sell", "10", "--tracker", edge.url]);
    expect(sold.code, sold.stderr).toBe(0);
    expect(BigInt(JSON.parse(sold.stdout).quote.minimumReceived)).toBeGreaterThan(parseEther("0.00099"));
  });

  it("reverts a swap once the price has moved past its bound (attack: sandwich a buy with a stale or loose quote)", async () => {
    const victim = await trader("10");
    const q = await quote(victim.c, victim.m, { vidyaIn: false, exactIn: true, amount: parseEther("0.5"), slippageBps: 50 });
    // The sandwich's front half: a large buy moves the price up by far more than 0.5%.
    const attacker = await trader();
    await sendBuy(attacker.c, attacker.m, await quote(attacker.c, attacker.m, { vidyaIn: false, exactIn: true, amount: parseEther("20"), slippageBps: 5_000 }), () => {});
    // Through the CLI's path the dry run refuses it before any gas is spent, naming the bound.
    await expect(sendBuy(victim.c, victim.m, q, () => {})).rejects.toThrow(/slippage bound/);
    // Sent anyway (fixed gas, no dry run): the router itself reverts it on-chain.
    const deadline = (await pub.getBlock()).timestamp + 600n;
    const data = encodeFunctionData({
      abi: swapRouterAbi,
      functionName: "exactInputSingle",
      args: [{ tokenIn: victim.m.weth, tokenOut: victim.m.token, fee: 3000, recipient: victim.account.address, deadline, amountIn: q.amountIn, amountOutMinimum: q.bound, sqrtPriceLimitX96: 0n }],
    });
    const hash = await victim.c.walletClient!.sendTransaction({ to: victim.m.router, data, value: q.amountIn, gas: 500_000n });
    expect((await pub.waitForTransactionReceipt({ hash })).status).toBe("reverted");
    expect(await vidyaOf(victim.account.address)).toBe(0n);
  });

  it("swaps ETH for VIDYA and funds a torrent's bounty in one transaction: vidya bounty --spend", async () => {
    const fx = await makeFixture(join(edge.dir, "bounty-data"), "Bounty Target", [{ path: "a.bin", length: 40_000 }]);
    await edge.publish(fx);
    const { home, address } = await freshHome("1");
    const before = await pub.readContract({ address: chain.addresses.bounties, abi: hostingBountiesAbi, functionName: "bountyOf", args: [`0x${fx.meta.infoHash}`] });
    const startNonce = await pub.getTransactionCount({ address });
    const r = await vidya(["--home", home, "--json", "bounty", fx.meta.infoHash, "--spend", "0.02", "--tracker", edge.url]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tx: Hex; funded: string; quote: { minimumReceived: string } };
    expect(await pub.getTransactionCount({ address })).toBe(startNonce + 1); // one transaction, no approve
    const after = await pub.readContract({ address: chain.addresses.bounties, abi: hostingBountiesAbi, functionName: "bountyOf", args: [`0x${fx.meta.infoHash}`] });
    expect(after - before).toBe(BigInt(out.funded));
    expect(after - before).toBeGreaterThanOrEqual(BigInt(out.quote.minimumReceived));
    const receipt = await pub.waitForTransactionReceipt({ hash: out.tx });
    expect(receipt.to).toBe(chain.addresses.hostingRouter.toLowerCase());
    // The router keeps nothing: every token it bought left in the same call.
    expect(await vidyaOf(chain.addresses.hostingRouter)).toBe(0n);
    expect(await pub.readContract({ address: chain.addresses.weth, abi: erc20Abi, functionName: "balanceOf", args: [chain.addresses.hostingRouter] })).toBe(0n);
    expect(await pub.getBalance({ address: chain.addresses.hostingRouter })).toBe(0n);
  });

  it("refuses a bounty on a torrent the index does not list (attack: funds sent where they are never paid out nor refunded)", async () => {
    const { home } = await freshHome("1");
    const r = await vidya(["--home", home, "bounty", "ab".repeat(20), "--spend", "0.01", "--tracker", edge.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lists no torrent/);
  });

  it("tells a wallet with ETH only how to get in, in VIDYA and ETH with decimals, then buys, stakes, pays the join fee and joins in one transaction with --buy", async () => {
    const { home, address } = await freshHome("1");
    const access = await edge.api<{ gateStake: string; joinFee: string }>("/api/members/access");
    const [gate, fee] = [BigInt(access.gateStake), BigInt(access.joinFee)];
    expect([gate, fee]).toEqual([ACCESS_STAKE, 10n * ONE_TOKEN]); // the neutral gate: 100 staked and a 10 VIDYA fee
    const refused = await vidya(["--home", home, "join", "--tracker", edge.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/joining by stake costs 100\.0000 VIDYA staked and a join fee of 10\.0000 VIDYA/);
    expect(refused.stderr).toMatch(/the access stake and the join fee need 110\.0000 VIDYA more: 0x[0-9a-fA-F]{40} holds 0\.0000 VIDYA and 1\.000000 ETH/);
    expect(refused.stderr).toMatch(/vidya join --buy +buy 110\.0000 VIDYA with about 0\.01\d{4} ETH \(at most 0\.01\d{4} ETH\), stake 100\.0000 VIDYA and pay the 10\.0000 VIDYA join fee/);
    expect(refused.stderr).toMatch(/vidya buy 110 /);
    expect(refused.stderr).not.toMatch(/wei|\b\d{15,}\b/);

    const ethBefore = await pub.getBalance({ address });
    const { c, m } = await trader("1");
    const q = await quote(c, m, { vidyaIn: false, exactIn: false, amount: gate + fee, slippageBps: 50 });
    const joined = await vidya(["--home", home, "--json", "join", "--tracker", edge.url, "--buy"]);
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stderr).toMatch(/swap, stake and pay the join fee: mined in block/);
    const { stakeTxs } = JSON.parse(joined.stdout) as { stakeTxs: Hex[] };
    expect(stakeTxs).toHaveLength(1); // swap, stake, join fee: one transaction
    expect(await pub.readContract({ address: chain.addresses.staking, abi: stakingAbi, functionName: "stakeOf", args: [address] })).toBe(ACCESS_STAKE);
    expect(await pub.readContract({ address: chain.addresses.staking, abi: stakingAbi, functionName: "joinFeePaidOf", args: [address] })).toBe(fee);
    expect(await vidyaOf(address)).toBe(0n);
    const config = JSON.parse(await readFile(join(home, "config.json"), "utf8")) as { passkey: string };
    expect(config.passkey).toMatch(/^[0-9a-f]{32,}$/);
    // The unspent part of the bound came back: it paid the quote and the gas, not the bound it sent.
    const receipt = await pub.waitForTransactionReceipt({ hash: stakeTxs[0]! });
    const spentOnSwap = ethBefore - (await pub.getBalance({ address })) - receipt.gasUsed * receipt.effectiveGasPrice;
    expect(spentOnSwap).toBe(q.amountIn);
    expect(spentOnSwap).toBeLessThan(q.bound);
  });

  it("buys only the shortfall for a wallet holding part of the access stake and join fee, and stakes and pays all of it", async () => {
    const { home, address } = await freshHome("1");
    const { deployer } = clients(chain);
    const gift = await deployer.writeContract({ address: chain.addresses.token, abi: erc20Abi, functionName: "transfer", args: [address, 40n * ONE_TOKEN] });
    await pub.waitForTransactionReceipt({ hash: gift });
    const joined = await vidya(["--home", home, "join", "--tracker", edge.url, "--buy"]);
    expect(joined.code, joined.stderr).toBe(0);
    // The purchase takes the fee first, so the 40 held go to the stake.
    expect(joined.stderr).toMatch(/bought 70\.0000 VIDYA, staked 60\.0000 VIDYA and paid the 10\.0000 VIDYA join fee to stakers, in one transaction/);
    expect(joined.stderr).toMatch(/staked 40\.0000 VIDYA for access/);
    expect(joined.stderr).not.toMatch(/paid the join fee,/);
    expect(await pub.readContract({ address: chain.addresses.staking, abi: stakingAbi, functionName: "stakeOf", args: [address] })).toBe(ACCESS_STAKE);
    expect(await pub.readContract({ address: chain.addresses.staking, abi: stakingAbi, functionName: "joinFeePaidOf", args: [address] })).toBe(10n * ONE_TOKEN);
    expect(await vidyaOf(address)).toBe(0n);
  });

  it("HostingRouter refuses an expired deadline, too little ETH, an empty purchase and stray ether (attack: a stale swap mined late; the router holding funds)", async () => {
    const t = await trader("10");
    const w = t.c.walletClient!;
    const stale = (await pub.getBlock()).timestamp - 1n;
    await expect(
      pub.simulateContract({ account: w.account, address: chain.addresses.hostingRouter, abi: hostingRouterAbi, functionName: "buyStake", args: [ACCESS_STAKE, 0n, stale], value: parseEther("1") }),
    ).rejects.toThrow(/Transaction too old/);
    const future = stale + 3_600n;
    await expect(
      pub.simulateContract({ account: w.account, address: chain.addresses.hostingRouter, abi: hostingRouterAbi, functionName: "buyStake", args: [ACCESS_STAKE, 0n, future], value: parseEther("0.001") }),
    ).rejects.toThrow(/Too much requested|STF/);
    await expect(
      pub.simulateContract({ account: w.account, address: chain.addresses.hostingRouter, abi: hostingRouterAbi, functionName: "buyStake", args: [0n, 0n, future], value: parseEther("1") }),
    ).rejects.toThrow(/NothingToBuy/);
    await expect(w.sendTransaction({ to: chain.addresses.hostingRouter, value: 1n })).rejects.toThrow(/UnexpectedEther|revert/);
  });

  it("adopts an existing Uniswap deployment and refuses a configured pool that is not VIDYA/WETH (attack: a wrong or look-alike pool in the config)", async () => {
    const key = generatePrivateKey();
    const deployer = privateKeyToAccount(key).address;
    await chain.fund(deployer, "100");
    const adopt = { weth: chain.addresses.weth, factory: chain.addresses.uniswapFactory, router: chain.addresses.uniswapRouter, quoter: chain.addresses.uniswapQuoter, positionManager: chain.addresses.uniswapPositionManager };
    const base = {
      rpcUrl: chain.rpcUrl,
      deployerKey: key,
      genesisHolder: deployer,
      poster: privateKeyToAccount(generatePrivateKey()).address,
      guardian: deployer,
      emissionPerEpoch: ONE_TOKEN,
      genesisSupply: 1_000_000n * ONE_TOKEN,
      disputeDelaySeconds: 60n,
      unbondingDelaySeconds: 3_600n,
    };
    // The first network's pool pairs another VIDYA: refused by name, before anything trades on it.
    await expect(deployContracts({ ...base, market: { adopt, pool: chain.addresses.vidyaWethPool } })).rejects.toThrow(/pairs .* not VIDYA/);
    const d = await deployContracts({ ...base, market: { adopt } });
    expect(d.market).toMatchObject({ factory: adopt.factory, router: adopt.router, quoter: adopt.quoter, weth: adopt.weth, poolFee: 3000 });
    expect(d.txHashes).not.toHaveProperty("uniswapFactory"); // adopted, not deployed again
    expect(d.txHashes).toHaveProperty("createPool");
    expect(d.market!.pool.toLowerCase()).not.toBe(chain.addresses.vidyaWethPool.toLowerCase());
    const pair = [
      await pub.readContract({ address: d.market!.pool, abi: uniswapV3PoolAbi, functionName: "token0" }),
      await pub.readContract({ address: d.market!.pool, abi: uniswapV3PoolAbi, functionName: "token1" }),
    ].map((a) => a.toLowerCase());
    expect(pair.sort()).toEqual([d.token, adopt.weth].map((a) => a.toLowerCase()).sort());
  });

  it("reads a TWAP from observe() after several blocks of trades, which a last-block spike barely moves (attack: spot price manipulation)", async () => {
    const t = await trader();
    const rpc = (method: string, params: unknown[] = []) => pub.request({ method: method as never, params: params as never });
    // Let the window start after the earlier tests' trades, at one price.
    await rpc("evm_increaseTime", [TWAP_WINDOW_SECONDS]);
    await rpc("evm_mine");
    const spots: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      const vidyaIn = i % 2 === 1;
      const amount = vidyaIn ? 20_000n * ONE_TOKEN : parseEther("3");
      if (vidyaIn) {
        const approve = await t.c.walletClient!.writeContract({ address: t.m.token, abi: erc20Abi, functionName: "approve", args: [t.m.router, amount] });
        await pub.waitForTransactionReceipt({ hash: approve });
        const q = await quote(t.c, t.m, { vidyaIn, exactIn: true, amount, slippageBps: 100 });
        const deadline = (await pub.getBlock()).timestamp + 600n;
        const hash = await t.c.walletClient!.writeContract({
          address: t.m.router,
          abi: swapRouterAbi,
          functionName: "exactInputSingle",
          args: [{ tokenIn: t.m.token, tokenOut: t.m.weth, fee: 3000, recipient: t.account.address, deadline, amountIn: amount, amountOutMinimum: q.bound, sqrtPriceLimitX96: 0n }],
        });
        await pub.waitForTransactionReceipt({ hash });
      } else {
        await sendBuy(t.c, t.m, await quote(t.c, t.m, { vidyaIn, exactIn: true, amount, slippageBps: 100 }), () => {});
      }
      const now = await poolPrice(t.c, t.m);
      spots.push(now.spot);
      // The TypeScript TickMath agrees with the pool's own: its tick brackets its sqrt price.
      expect(sqrtRatioAtTick(now.tick)).toBeLessThanOrEqual(now.sqrtPriceX96);
      expect(sqrtRatioAtTick(now.tick + 1)).toBeGreaterThan(now.sqrtPriceX96);
      await rpc("evm_increaseTime", [TWAP_WINDOW_SECONDS / 6]);
      await rpc("evm_mine");
    }
    const twap = (await poolTwap(t.c, t.m))!;
    expect(twap).not.toBeNull();
    const lo = spots.reduce((a, b) => (a < b ? a : b));
    const hi = spots.reduce((a, b) => (a > b ? a : b));
    expect(hi).toBeGreaterThan(lo); // the trades moved the price
    // Ticks round: the mean tick's price is within one tick (0.01%) of the spots' range.
    expect(Number(twap)).toBeGreaterThanOrEqual(Number(lo) * 0.9999);
    expect(Number(twap)).toBeLessThanOrEqual(Number(hi) * 1.0001);
    // The same number from the raw cumulatives with the pure maths.
    const [cum] = await pub.readContract({ address: t.m.pool, abi: uniswapV3PoolAbi, functionName: "observe", args: [[TWAP_WINDOW_SECONDS, 0]] });
    expect(twapPrice([cum[0]!, cum[1]!], TWAP_WINDOW_SECONDS, t.m.vidyaToken0)).toBe(twap);

    // A spike in the last block: spot jumps, the TWAP hardly moves.
    await sendBuy(t.c, t.m, await quote(t.c, t.m, { vidyaIn: false, exactIn: true, amount: parseEther("60"), slippageBps: 5_000 }), () => {});
    await rpc("evm_increaseTime", [2]);
    await rpc("evm_mine");
    const spiked = (await poolPrice(t.c, t.m)).spot;
    const after = (await poolTwap(t.c, t.m))!;
    expect(Number(spiked) / Number(hi)).toBeGreaterThan(1.5);
    expect(Number(after) / Number(twap)).toBeLessThan(1.01);
    expect(priceFromSqrtX96((await poolPrice(t.c, t.m)).sqrtPriceX96, t.m.vidyaToken0)).toBe(spiked);
  });
});
