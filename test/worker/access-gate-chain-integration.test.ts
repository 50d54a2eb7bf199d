// The missing flows of the proposal (issue 11 part 6) through the worker: the dynamic gate moves
// the join stake at each close from the saturation the swarms measured, publishes what it
// measured so anyone recomputes it, and the join route asks for the stake in force; joining by
// stake pays a join fee into the stakers' fee pool on a real anvil, where it streams over
// FEE_STREAM_SECONDS instead of landing as a lump a staker could arrive just before.

import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { eq } from "drizzle-orm";
import { createPublicClient, createWalletClient, defineChain, http, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { stakingAbi, vidyaTokenAbi } from "../../contracts/abi.ts";
import { checkEpochAccess, type PublishedAccess } from "../../protocol/economics/gate.ts";
import { BPS, FEE_STREAM_SECONDS, JOIN_FEE_BPS, ACCESS_STAKE, SURGE_WINDOW_SECONDS } from "../../protocol/params.ts";
import { signReport, reportToJson } from "../../protocol/reports/eip712.ts";
import type { Env } from "../../worker/env.ts";
import { app } from "../../worker/index.ts";
import { closeEpoch } from "../../worker/epoch/close.ts";
import { db, schema } from "../../worker/db/client.ts";
import { transcriptRow } from "../../worker/challenge/round.ts";
import { shardName, shardOf, type SwarmShard } from "../../worker/swarm/shard.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { addMember, announce, declareLength, flushShard, peerId, uploadTorrent } from "./support/worker.ts";
import { workerOnChain } from "./support/chain-env.ts";

const c = inject("chain");
const a = c.addresses as { token: Address; staking: Address };
const vidya = defineChain({ id: c.chainId, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [c.rpcUrl] } } });
const pub = createPublicClient({ chain: vidya, transport: http(c.rpcUrl) });
const deployer = createWalletClient({ account: privateKeyToAccount(c.deployerKey as Hex), chain: vidya, transport: http(c.rpcUrl) });
const GB = 1_000_000_000;
const WAD = 10n ** 18n;

/** The edge on the dynamic-gate route, without a chain (closes stay local) and with one (joins read the stake and fee). */
const dynamic: Env = { ...(env as unknown as Env), ACCESS_ROUTE: "dynamic-gate" };
const dynamicOnChain: Env = workerOnChain(c, { ACCESS_ROUTE: "dynamic-gate" });
const node = "0x00000000000000000000000000000000000a7e01";
const t = fixture(60_000, 9101, "gate.bin");
const shard = () => env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(t.infoHash))));

async function windows(n: number, from: number): Promise<number> {
  let now = from;
  for (let w = 0; w < n; w++) {
    now += SURGE_WINDOW_SECONDS * 1000;
    await runInDurableObject(shard(), (s: SwarmShard) => s.surgeWindow(now, SURGE_WINDOW_SECONDS));
    await flushShard(t.infoHash);
  }
  return now;
}

async function send(hash: Promise<Hex>) {
  const r = await pub.waitForTransactionReceipt({ hash: await hash, pollingInterval: 100 });
  expect(r.status).toBe("success");
  return r;
}

async function funded(tokens: bigint): Promise<{ account: PrivateKeyAccount; wallet: ReturnType<typeof createWalletClient> }> {
  const account = privateKeyToAccount(generatePrivateKey());
  await pub.request({ method: "anvil_setBalance" as never, params: [account.address, "0x56bc75e2d63100000"] as never });
  await send(deployer.writeContract({ address: a.token, abi: vidyaTokenAbi, functionName: "transfer", args: [account.address, tokens] }));
  const wallet = createWalletClient({ account, chain: vidya, transport: http(c.rpcUrl) });
  await send(wallet.writeContract({ account, chain: vidya, address: a.token, abi: vidyaTokenAbi, functionName: "approve", args: [a.staking, tokens] }));
  return { account, wallet };
}

const joinRequest = async (account: PrivateKeyAccount) => {
  const message = { member: account.address, nonce: BigInt(Date.now()), expiry: BigInt(Math.floor(Date.now() / 1000) + 600) };
  const signature = await signReport(account, c.chainId, "MemberJoin", message);
  return app.request("/api/members/join", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ message: reportToJson(message), signature }) }, dynamicOnChain);
};

const accessNowJson = async (e: Env) => (await (await app.request("/api/members/access", {}, e)).json()) as { route: string; gateBps: string; gateStake: string; joinFee: string; setBy: number; saturationBps: string };
const inputsOf = async (epoch: number) => (await (await app.request(`/api/epochs/${epoch}/inputs`, {}, dynamic)).json()) as { access: PublishedAccess };

describe("the dynamic gate moves the join stake from measured saturation", () => {
  const pk: Record<string, string> = {};
  beforeAll(async () => {
    expect((await uploadTorrent(t)).status).toBe(201);
    await declareLength(t.infoHash, 20 * GB);
    for (const m of ["seeder", "l0", "l1", "l2"]) pk[m] = await addMember(`0x${m.padEnd(40, "0").replace(/[^0-9a-f]/g, "e")}`);
  });

  it("raises the gate one bounded step after a saturated epoch, publishes the swarms' load so anyone recomputes it, and the join route asks for it (attack: edge sets the gate at will)", async () => {
    // One seeder and three leechers lacking 2 GB each: demand far above one seeder's capacity.
    await announce(pk.seeder!, { infoHash: t.infoHash, peerId: peerId("ag-s"), left: 0, event: "started", ip: "10.70.0.1" });
    for (const [i, m] of ["l0", "l1", "l2"].entries()) await announce(pk[m]!, { infoHash: t.infoHash, peerId: peerId(`ag-l${i}`), left: 2 * GB, event: "started", ip: `10.70.0.${10 + i}` });
    await windows(4, Date.now());
    const ledger = (await db(env.DB).select().from(schema.swarmLedger).where(eq(schema.swarmLedger.infoHash, t.infoHash)).get())!;
    expect(ledger.surgeWindows).toBe(4);
    expect(ledger.demandSum).toBeGreaterThan(ledger.capacitySum);

    // Before any close the gate is neutral on both routes.
    expect(await accessNowJson(dynamic)).toMatchObject({ route: "dynamic-gate", gateBps: "10000", gateStake: ACCESS_STAKE.toString(), setBy: 0 });
    await db(env.DB).insert(schema.challenges).values(transcriptRow(madeTranscript(1, node, t.infoHash, "pass", { host: "10.71.0.1" })));
    const closed = await closeEpoch(dynamic);
    expect(closed.saturationBps).toBeGreaterThan(8_000);
    expect(closed.gateBps).toBe(11_250);

    // Published with the inputs (under the inputs hash): the measurements and the decision, which recompute.
    const p = (await inputsOf(1)).access;
    expect(p).toMatchObject({ route: "dynamic-gate", gateBps: "10000", nextGateBps: "11250", saturationBps: String(closed.saturationBps) });
    expect(p.swarms).toEqual([{ infoHash: t.infoHash, demand: String(ledger.demandSum), capacity: String(ledger.capacitySum) }]);
    expect(checkEpochAccess(p, BPS)).toEqual([]);
    // An edge publishing a gate its measurements do not support is caught.
    expect(checkEpochAccess({ ...p, nextGateBps: "40000" }, BPS)).not.toEqual([]);

    // The join route and the site quote the new stake and fee; the fixed route stays neutral.
    const now = await accessNowJson(dynamic);
    expect(now).toMatchObject({ gateBps: "11250", setBy: 1, gateStake: ((ACCESS_STAKE * 9n) / 8n).toString(), joinFee: ((ACCESS_STAKE * 9n * JOIN_FEE_BPS) / 8n / BPS).toString() });
    expect(await accessNowJson(env as unknown as Env)).toMatchObject({ route: "fixed-gate", gateBps: "10000", gateStake: ACCESS_STAKE.toString() });
    const page = await (await app.request("/join", {}, dynamic)).text();
    expect(page).toContain("112.5000 VIDYA");
  });

  it("lowers it after an epoch with spare capacity, starting from the gate the previous close set", async () => {
    // The leechers finish and seed, and more seeders arrive: capacity far above what is asked.
    for (const [i, m] of ["l0", "l1", "l2"].entries()) await announce(pk[m]!, { infoHash: t.infoHash, peerId: peerId(`ag-l${i}`), left: 0, event: "completed", ip: `10.70.0.${10 + i}` });
    for (let i = 0; i < 12; i++) {
      const extra = await addMember(`0x${String(i).padStart(2, "0")}${"5eed".repeat(9)}aa`);
      await announce(extra, { infoHash: t.infoHash, peerId: peerId(`ag-x${i}`), left: 0, event: "started", ip: `10.72.0.${10 + i}` });
    }
    await windows(12, Date.now() + 3_600_000);
    await db(env.DB).insert(schema.challenges).values(transcriptRow(madeTranscript(2, node, t.infoHash, "pass", { host: "10.71.0.1" })));
    const closed = await closeEpoch(dynamic);
    expect(closed.saturationBps).toBeLessThan(8_000);
    expect(closed.gateBps).toBeLessThan(11_250);
    expect(closed.gateBps).toBeGreaterThanOrEqual(11_250 - Math.floor(11_250 / 8));
    const p = (await inputsOf(2)).access;
    expect(p.gateBps).toBe("11250");
    expect(p.nextGateBps).toBe(String(closed.gateBps));
    expect(checkEpochAccess(p, 11_250n)).toEqual([]);
    expect(checkEpochAccess(p, BPS)[0]).toMatch(/previous close set/);
  });
});

describe("joining by stake pays a join fee, streamed to stakers", () => {
  it("admits a staker only with the gate stake in force and the join fee paid (attack: joining without paying the stakers)", async () => {
    const access = await accessNowJson(dynamicOnChain);
    const gateStake = BigInt(access.gateStake);
    const fee = BigInt(access.joinFee);
    expect(gateStake).not.toBe(ACCESS_STAKE); // the moved gate, not the constant
    const { account, wallet } = await funded(gateStake + fee);
    const stake = (amount: bigint) => send(wallet.writeContract({ account, chain: vidya, address: a.staking, abi: stakingAbi, functionName: "stake", args: [amount] }));

    await stake(gateStake - 1n);
    let res = await joinRequest(account);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "not_admitted" } });

    await stake(1n);
    res = await joinRequest(account);
    expect(res.status).toBe(403);
    const unpaid = (await res.json()) as { error: { code: string; message: string } };
    expect(unpaid.error.code).toBe("join_fee_unpaid");
    expect(unpaid.error.message).toContain("VIDYA");

    const before = (await pub.readContract({ address: a.staking, abi: stakingAbi, functionName: "feeTotals" })) as readonly [bigint, bigint];
    const paid = await send(wallet.writeContract({ account, chain: vidya, address: a.staking, abi: stakingAbi, functionName: "payJoinFee", args: [fee] }));
    const after = (await pub.readContract({ address: a.staking, abi: stakingAbi, functionName: "feeTotals" })) as readonly [bigint, bigint];
    expect(after[0] - before[0]).toBe(fee);
    expect(await pub.readContract({ address: a.staking, abi: stakingAbi, functionName: "joinFeePaidOf", args: [account.address] })).toBe(fee);
    // Streamed: the window restarts at the payment and runs FEE_STREAM_SECONDS.
    const [, finish] = (await pub.readContract({ address: a.staking, abi: stakingAbi, functionName: "feeStream" })) as readonly [bigint, bigint];
    const block = await pub.getBlock({ blockNumber: paid.blockNumber });
    expect(finish).toBeGreaterThanOrEqual(block.timestamp + BigInt(FEE_STREAM_SECONDS) - 1n);

    res = await joinRequest(account);
    expect(res.status).toBe(200);
    const joined = (await res.json()) as { account: string; passkey: string };
    expect(joined.account).toBe(account.address.toLowerCase());
    expect(joined.passkey).toMatch(/^[0-9a-f]{32}$/);
    const row = await db(env.DB).select().from(schema.members).where(eq(schema.members.account, account.address.toLowerCase())).get();
    expect(row?.admission).toBe("stake");
  });

  it("pays a staker who arrives just before a join only the stream over its stay, never the fee (attack: fee sniping)", async () => {
    const access = await accessNowJson(dynamicOnChain);
    const fee = BigInt(access.joinFee);
    const whale = await funded(10_000n * ACCESS_STAKE);
    const staked = await send(whale.wallet.writeContract({ account: whale.account, chain: vidya, address: a.staking, abi: stakingAbi, functionName: "stake", args: [10_000n * ACCESS_STAKE] }));
    const joiner = await funded(fee);
    const [rateBefore] = (await pub.readContract({ address: a.staking, abi: stakingAbi, functionName: "feeStream" })) as readonly [bigint, bigint];
    await send(joiner.wallet.writeContract({ account: joiner.account, chain: vidya, address: a.staking, abi: stakingAbi, functionName: "payJoinFee", args: [fee] }));
    const [rateAfter] = (await pub.readContract({ address: a.staking, abi: stakingAbi, functionName: "feeStream" })) as readonly [bigint, bigint];
    const rate = rateBefore > rateAfter ? rateBefore : rateAfter;
    // Leaves at once (requestUnstake stops its weight).
    const left = await send(whale.wallet.writeContract({ account: whale.account, chain: vidya, address: a.staking, abi: stakingAbi, functionName: "requestUnstake", args: [10_000n * ACCESS_STAKE] }));
    const stay = (await pub.getBlock({ blockNumber: left.blockNumber })).timestamp - (await pub.getBlock({ blockNumber: staked.blockNumber })).timestamp;
    const sniped = (await pub.readContract({ address: a.staking, abi: stakingAbi, functionName: "feesOf", args: [whale.account.address] })) as bigint;
    // At most what the whole stream paid while it stayed (its weight's share of it), a sliver of the fee.
    expect(sniped).toBeLessThanOrEqual((rate * (stay + 1n)) / WAD);
    expect(sniped * 100n).toBeLessThan(fee);
  });
});
