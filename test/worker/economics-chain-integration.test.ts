// The close that posts on-chain (worker/epoch/close.ts with a chain): a real anvil with the
// contracts deployed (global setup), a member's Escrow deposit charged past the free
// allotment, a hosting bounty drawn for the torrent's proven host, and EpochRewards accepting
// the earned, slashed and spent roots, the total and the draws that settleEpoch computed.

import { env } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { eq } from "drizzle-orm";
import { createPublicClient, createWalletClient, defineChain, http, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { epochRewardsAbi, escrowAbi, hostingBountiesAbi, vidyaTokenAbi } from "../../contracts/abi.ts";
import { settleEpoch } from "../../protocol/economics/settle.ts";
import { settleInputsOf, type PublishedSettleInputs } from "../../protocol/economics/published.ts";
import { unsignedReceipts } from "../../protocol/economics/receipts.ts";
import { receiptToJson, signReceipt, type UploadReceipt } from "../../protocol/reports/eip712.ts";
import { bountyDrawOf } from "../../protocol/economics/bounties.ts";
import { buildRewardTree } from "../../protocol/merkle/reward-tree.ts";
import { BYTES_PER_GB, DOWNLOAD_PRICE_PER_GB, EMISSION_PER_EPOCH, ONE_TOKEN, UPLOAD_PRICE_SHARE_BPS } from "../../protocol/params.ts";
import type { Env } from "../../worker/env.ts";
import { closeEpoch } from "../../worker/epoch/close.ts";
import { db, schema } from "../../worker/db/client.ts";
import { transcriptRow } from "../../worker/challenge/round.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { addMember, announce, call, declareLength, flushShard, peerId, uploadTorrent } from "./support/worker.ts";
import { workerOnChain } from "./support/chain-env.ts";

const c = inject("chain");
const a = c.addresses as { token: Address; staking: Address; epochRewards: Address; bounties: Address; escrow: Address };
const vidya = defineChain({ id: c.chainId, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [c.rpcUrl] } } });
const pub = createPublicClient({ chain: vidya, transport: http(c.rpcUrl) });
const deployer = createWalletClient({ account: privateKeyToAccount(c.deployerKey as Hex), chain: vidya, transport: http(c.rpcUrl) });
/** The worker as deployed with a chain: every contract address, the poster's key. */
const chainEnv: Env = workerOnChain(c);

async function send(hash: Promise<Hex>) {
  const r = await pub.waitForTransactionReceipt({ hash: await hash, pollingInterval: 100 });
  expect(r.status).toBe("success");
}

const GB = 1_000_000_000;
const node = "0x00000000000000000000000000000000000c00aa";
const payer = privateKeyToAccount("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");
const uploader = "0x00000000000000000000000000000000000c0002";
const t = fixture(80_000, 8001, "paid.bin");
const BOUNTY = 500n * ONE_TOKEN;
const DEPOSIT = 10n * ONE_TOKEN;

describe("an epoch closed on-chain with paid downloads and a bounty", () => {
  const pk: Record<string, string> = {};
  beforeAll(async () => {
    expect((await uploadTorrent(t)).status).toBe(201);
    // The payer moves GBs: the torrent's recorded length allows it (the counters are bounded by it).
    await declareLength(t.infoHash, 20 * GB);
    pk.payer = await addMember(payer.address);
    pk.uploader = await addMember(uploader);
    // The payer's deposit in Escrow, and a bounty on the torrent, both from genesis tokens.
    await pub.request({ method: "anvil_setBalance" as never, params: [payer.address, "0x56bc75e2d63100000"] as never });
    await send(deployer.writeContract({ address: a.token, abi: vidyaTokenAbi, functionName: "transfer", args: [payer.address, DEPOSIT] }));
    const asPayer = createWalletClient({ account: payer, chain: vidya, transport: http(c.rpcUrl) });
    await send(asPayer.writeContract({ address: a.token, abi: vidyaTokenAbi, functionName: "approve", args: [a.escrow, DEPOSIT] }));
    await send(asPayer.writeContract({ address: a.escrow, abi: escrowAbi, functionName: "deposit", args: [DEPOSIT] }));
    await send(deployer.writeContract({ address: a.token, abi: vidyaTokenAbi, functionName: "approve", args: [a.bounties, BOUNTY] }));
    await send(deployer.writeContract({ address: a.bounties, abi: hostingBountiesAbi, functionName: "fund", args: [`0x${t.infoHash}`, BOUNTY] }));
  });

  it("charges the deposit past the allotment, pays the proven host for the unreceipted paid GB within the price cap and its bounty share, the member reporting uploads no tokens (attack: lying uploader), and posts what settleEpoch computed", async () => {
    // 11 GB downloaded: 10 GB free, 1 GB paid from the deposit. The uploader reports 11 GB sent.
    await announce(pk.uploader!, { infoHash: t.infoHash, peerId: peerId("ch-u"), left: 0, event: "started", ip: "10.90.0.1" });
    await announce(pk.payer!, { infoHash: t.infoHash, peerId: peerId("ch-p"), left: 80_000, event: "started", ip: "10.90.0.2" });
    await announce(pk.uploader!, { infoHash: t.infoHash, peerId: peerId("ch-u"), left: 0, uploaded: 11 * GB, ip: "10.90.0.1" });
    await announce(pk.payer!, { infoHash: t.infoHash, peerId: peerId("ch-p"), left: 0, downloaded: 11 * GB, event: "completed", ip: "10.90.0.2" });
    await flushShard(t.infoHash);
    await db(env.DB).insert(schema.challenges).values(transcriptRow(madeTranscript(1, node, t.infoHash, "pass", { host: "10.91.0.1" })));

    const closed = await closeEpoch(chainEnv);
    expect(closed.txHash).toMatch(/^0x[0-9a-f]{64}$/);

    // What the chain holds is what the worker published.
    const onChain = (await pub.readContract({ address: a.epochRewards, abi: epochRewardsAbi, functionName: "rootOf", args: [1n] })) as { earnedRoot: Hex; slashedRoot: Hex; spentRoot: Hex; inputsHash: Hex; totalEarned: bigint };
    expect(onChain).toMatchObject({ earnedRoot: closed.root, slashedRoot: closed.slashedRoot, spentRoot: closed.spentRoot, inputsHash: closed.inputsHash, totalEarned: BigInt(closed.totalEarned) });

    // Re-running settleEpoch on the published inputs gives the posted leaves.
    const { inputsHash: _, ...p } = (await (await call("/api/epochs/1/inputs")).json()) as Record<string, unknown>;
    const s = settleEpoch(settleInputsOf(p as unknown as PublishedSettleInputs));
    expect(buildRewardTree(1, s.leaves).root).toBe(closed.root);
    expect(buildRewardTree(1, s.spentLeaves).root).toBe(closed.spentRoot);

    // The payer paid for 1 GB at 1× surge (no window closed yet), and is not slowed.
    const price = DOWNLOAD_PRICE_PER_GB;
    expect(s.spentLeaves).toEqual([{ account: payer.address.toLowerCase(), cumulative: price }]);
    const spent = (await (await call("/api/epochs/1/spent")).json()) as { leaves: { account: string; cumulative: string }[] };
    expect(spent.leaves).toEqual([{ account: payer.address.toLowerCase(), cumulative: price.toString() }]);
    expect((await db(env.DB).select({ slowed: schema.members.slowed }).from(schema.members).where(eq(schema.members.account, payer.address.toLowerCase())).get())!.slowed).toBe(false);
    // Since receipts (issue 11 part 3), a member's reported `uploaded` earns ratio, no tokens
    // (attack: lying uploader). The paid GB no receipt names goes to the torrent's proven host,
    // at most 80% of what it was paid.
    expect(s.earned.get(uploader) ?? 0n).toBe(0n);
    const up = s.upload.perMember.get(node)!;
    expect(up).toBe((BigInt(GB) * price * UPLOAD_PRICE_SHARE_BPS) / (BYTES_PER_GB * 10_000n));

    // The bounty: this epoch's draw went to the one proven host, and left the contract.
    const draw = bountyDrawOf(BOUNTY);
    expect(s.bountyDraws).toEqual([{ infoHash: t.infoHash, amount: draw }]);
    expect(await pub.readContract({ address: a.bounties, abi: hostingBountiesAbi, functionName: "bountyOf", args: [`0x${t.infoHash}`] })).toBe(BOUNTY - draw);
    // Conservation: Σ earned = emission − unspent + bounty draws.
    const paid = [...s.earned.values()].reduce((x, y) => x + y, 0n);
    expect(paid).toBe(EMISSION_PER_EPOCH - s.pools.unspent + draw);
    expect(s.earned.get(node)).toBe(paid);
    expect(BigInt(closed.totalEarned)).toBe(paid);
  });

  it("a 1-wei deposit's 100,000 GB on an idle torrent buys its accomplice nothing, leaves the honest upload reward unchanged, and no spent leaf exceeds its deposit (attack: dust deposit)", async () => {
    // The attacker: a member with 1 wei in Escrow, an accomplice, and a torrent nobody else touches.
    const dust = privateKeyToAccount("0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6");
    const accomplice = "0x00000000000000000000000000000000000c0d02";
    const idle = fixture(60_000, 8002, "idle.bin");
    const huge = 100_000 * GB;
    expect((await uploadTorrent(idle)).status).toBe(201);
    // An idle torrent as long as the claim: the dust deposit's bytes are refused for want of payment,
    // not only by the counter bounds (which still cut 100,000 GB in 400 s to what 1 Gbit/s can move).
    await declareLength(idle.infoHash, huge * 2);
    pk.dust = await addMember(dust.address);
    pk.accomplice = await addMember(accomplice);
    await pub.request({ method: "anvil_setBalance" as never, params: [dust.address, "0x56bc75e2d63100000"] as never });
    await send(deployer.writeContract({ address: a.token, abi: vidyaTokenAbi, functionName: "transfer", args: [dust.address, 1n] }));
    const asDust = createWalletClient({ account: dust, chain: vidya, transport: http(c.rpcUrl) });
    await send(asDust.writeContract({ address: a.token, abi: vidyaTokenAbi, functionName: "approve", args: [a.escrow, 1n] }));
    await send(asDust.writeContract({ address: a.escrow, abi: escrowAbi, functionName: "deposit", args: [1n] }));

    // The honest market of this epoch: the payer (past its allotment) pays for 2 GB the uploader sends.
    await announce(pk.uploader!, { infoHash: t.infoHash, peerId: peerId("ch-u2"), left: 0, event: "started", ip: "10.90.0.1" });
    await announce(pk.payer!, { infoHash: t.infoHash, peerId: peerId("ch-p2"), left: 80_000, event: "started", ip: "10.90.0.2" });
    await announce(pk.uploader!, { infoHash: t.infoHash, peerId: peerId("ch-u2"), left: 0, uploaded: 2 * GB, ip: "10.90.0.1" });
    await announce(pk.payer!, { infoHash: t.infoHash, peerId: peerId("ch-p2"), left: 0, downloaded: 2 * GB, event: "completed", ip: "10.90.0.2" });
    // The attack: 100,000 GB "downloaded" on the idle torrent, and as many "uploaded".
    await announce(pk.accomplice!, { infoHash: idle.infoHash, peerId: peerId("ch-a"), left: 0, event: "started", ip: "10.90.0.5" });
    await announce(pk.dust!, { infoHash: idle.infoHash, peerId: peerId("ch-d"), left: 60_000, event: "started", ip: "10.90.0.6" });
    await announce(pk.accomplice!, { infoHash: idle.infoHash, peerId: peerId("ch-a"), left: 0, uploaded: huge, ip: "10.90.0.5" });
    await announce(pk.dust!, { infoHash: idle.infoHash, peerId: peerId("ch-d"), left: 0, downloaded: huge, event: "completed", ip: "10.90.0.6" });
    await flushShard(t.infoHash);
    await flushShard(idle.infoHash);
    await db(env.DB).insert(schema.challenges).values(transcriptRow(madeTranscript(2, node, t.infoHash, "pass", { host: "10.91.0.1" })));

    const closed = await closeEpoch(chainEnv);
    expect(closed.epoch).toBe(2);
    expect(closed.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const { inputsHash: _, ...p } = (await (await call("/api/epochs/2/inputs")).json()) as Record<string, unknown>;
    const published = p as unknown as PublishedSettleInputs & { allotment: { members: Record<string, string | boolean>[] } };
    // This epoch's amounts re-run from its inputs (the cumulative leaves also need epoch 1's).
    const s = settleEpoch(settleInputsOf(published));

    // The close saw the 1 wei, charged nothing it could not collect, and says so in the inputs.
    const dustOutcome = published.allotment.members.find((m) => m.member === dust.address.toLowerCase())!;
    expect(dustOutcome).toMatchObject({ balance: "1", charged: "0", paid: "0", slowedNow: true });
    expect(BigInt(dustOutcome.uncovered as string)).toBeGreaterThan(0n);
    expect(published.allotment.members.find((m) => m.member === payer.address.toLowerCase())).toMatchObject({ paid: String(2 * GB), charged: String(2n * DOWNLOAD_PRICE_PER_GB), uncovered: "0" });

    // The accomplice earns nothing: no paid byte in its swarm, so no credit.
    expect(s.earned.get(accomplice) ?? 0n).toBe(0n);
    expect(s.upload.swarms.find((x) => x.infoHash === idle.infoHash)).toMatchObject({ paid: 0n, credited: 0n });
    // The honest upload reward (the paid 2 GB, unreceipted, to the proven host since receipts)
    // is exactly what it would be without the attack.
    const attackers = new Set([dust.address.toLowerCase(), accomplice]);
    const honestOnly = settleEpoch({ ...settleInputsOf(published), transfers: settleInputsOf(published).transfers!.filter((x) => !attackers.has(x.member)) });
    expect(s.upload.perMember.get(node)).toBeGreaterThan(0n);
    expect(s.upload.perMember.get(node)).toBe(honestOnly.upload.perMember.get(node));
    expect(s.upload.perMember.get(node)).toBe((2n * BigInt(GB) * DOWNLOAD_PRICE_PER_GB * UPLOAD_PRICE_SHARE_BPS) / (BYTES_PER_GB * 10_000n));
    expect(s.earned.get(uploader) ?? 0n).toBe(0n);

    // No posted spent leaf exceeds what its member deposited: Escrow can collect each in full.
    const deposited = new Map([[payer.address.toLowerCase(), DEPOSIT], [dust.address.toLowerCase(), 1n]]);
    const posted = ((await (await call("/api/epochs/2/spent")).json()) as { leaves: { account: string; cumulative: string }[] }).leaves;
    expect(posted).toEqual([{ account: payer.address.toLowerCase(), cumulative: (3n * DOWNLOAD_PRICE_PER_GB).toString() }]);
    for (const l of posted) {
      expect(BigInt(l.cumulative)).toBeLessThanOrEqual(deposited.get(l.account) ?? 0n);
      expect(BigInt(l.cumulative)).toBeLessThanOrEqual((await pub.readContract({ address: a.escrow, abi: escrowAbi, functionName: "balanceOf", args: [l.account as Address] })) as bigint);
    }
    // Once final (past the dispute delay), the edge settles the charges at its next close
    // (worker/chain/escrow.ts), well inside the withdrawal delay (31 h): Escrow collects them in
    // full, so what the uploader was paid for was paid. The dust member owes nothing.
    const owed = 3n * DOWNLOAD_PRICE_PER_GB;
    const accountOf = async (m: Address) => (await pub.readContract({ address: a.escrow, abi: escrowAbi, functionName: "accountOf", args: [m] })) as { balance: bigint; settled: bigint };
    expect((await accountOf(payer.address)).settled).toBe(0n);
    await pub.request({ method: "evm_increaseTime" as never, params: [3_601] as never });
    await pub.request({ method: "evm_mine" as never, params: [] as never });
    expect((await closeEpoch(chainEnv)).epoch).toBe(3);
    expect(await accountOf(payer.address)).toMatchObject({ settled: owed, balance: DEPOSIT - owed });
    expect(await accountOf(dust.address)).toMatchObject({ settled: 0n, balance: 1n });
  });
  it("a close publishes the payer's receipt and pays the receipted node, not the other proven host (upload receipts)", async () => {
    const other = "0x00000000000000000000000000000000000c00bb";
    // Both are registered nodes and pass a challenge of the torrent this epoch (4).
    for (const n of [node, other])
      await db(env.DB).insert(schema.nodes).values({ address: n, host: "10.91.0.9", port: 6881, registeredAt: Date.now(), updatedAt: Date.now() }).onConflictDoNothing();
    // On two subnets, so both replicas count for hosting.
    for (const [n, host] of [[node, "10.91.0.1"], [other, "10.92.0.1"]] as const) await db(env.DB).insert(schema.challenges).values(transcriptRow(madeTranscript(4, n, t.infoHash, "pass", { host })));
    // The payer (past its allotment) pays for 1 GB and receipts all of it to `node`.
    await announce(pk.payer!, { infoHash: t.infoHash, peerId: peerId("ch-p4"), left: 80_000, event: "started", ip: "10.90.0.2" });
    await announce(pk.payer!, { infoHash: t.infoHash, peerId: peerId("ch-p4"), left: 0, downloaded: GB, event: "completed", ip: "10.90.0.2" });
    await flushShard(t.infoHash);
    const receipt: UploadReceipt = { infoHash: `0x${t.infoHash}`, uploader: node, downloader: payer.address, cumulative: BigInt(GB), session: `0x${"4a".repeat(32)}`, epoch: 4n };
    const signature = await signReceipt(payer, c.chainId, receipt);
    const res = await call("/api/receipts", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ message: receiptToJson(receipt), signature }) });
    expect(res.status).toBe(201);

    const closed = await closeEpoch(chainEnv);
    expect(closed.epoch).toBe(4);
    const { inputsHash: _, ...p } = (await (await call("/api/epochs/4/inputs")).json()) as Record<string, unknown>;
    const published = p as unknown as PublishedSettleInputs;
    expect(published.receipts).toEqual([expect.objectContaining({ uploader: node, downloader: payer.address.toLowerCase(), cumulative: String(GB), base: "0", signature })]);
    expect(await unsignedReceipts(published.receipts!, c.chainId, 4)).toEqual([]);
    const s = settleEpoch(settleInputsOf(published));
    const charged = BigInt((published.transfers ?? []).find((x) => x.member === payer.address.toLowerCase())!.charged!);
    expect(charged).toBe(DOWNLOAD_PRICE_PER_GB);
    // All of the paid GB was receipted to `node`: it alone earns the upload reward, 80% of the charge.
    expect(s.upload.perMember.get(node)).toBe((charged * UPLOAD_PRICE_SHARE_BPS) / 10_000n);
    expect(s.upload.perMember.has(other)).toBe(false);
    expect(s.earned.get(other)).toBeGreaterThan(0n); // its hosting reward
  });
});
