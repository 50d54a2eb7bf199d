// The crash-safe epoch writer (worker/epoch/writer.ts) against a real anvil of its own (global
// setup's writerChain): a post mined after the worker stopped waiting, a crash after each
// recorded step, an RPC outage, a stuck post replaced on its nonce, a wrong chain id and a
// foreign root on-chain. After each, the epoch is on-chain exactly once, D1 agrees, and the
// node's earnings can be claimed. The tests run in order on one D1 and one chain: each closes
// the next epoch.

import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { and, count, eq, ne } from "drizzle-orm";
import { createPublicClient, createWalletClient, defineChain, http, parseTransaction, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { epochRewardsAbi, escrowAbi, vidyaTokenAbi } from "../../contracts/abi.ts";
import { ONE_TOKEN } from "../../protocol/params.ts";
import type { Env } from "../../worker/env.ts";
import { app } from "../../worker/index.ts";
import { closeEpoch, resumeClose } from "../../worker/epoch/close.ts";
import { db, schema } from "../../worker/db/client.ts";
import { openEpoch, transcriptRow } from "../../worker/challenge/round.ts";
import { safeMessage } from "../../worker/errors.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { ADMIN_TOKEN, addMember, call, uploadTorrent } from "./support/worker.ts";
import { workerOnChain } from "./support/chain-env.ts";

const c = inject("writerChain");
const a = c.addresses as { token: Address; staking: Address; epochRewards: Address; bounties: Address; escrow: Address };
const anvil = defineChain({ id: c.chainId, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [c.rpcUrl] } } });
const pub = createPublicClient({ chain: anvil, transport: http(c.rpcUrl) });
const deployer = createWalletClient({ account: privateKeyToAccount(c.deployerKey as Hex), chain: anvil, transport: http(c.rpcUrl) });
const poster = createWalletClient({ account: privateKeyToAccount(c.posterKey as Hex), chain: anvil, transport: http(c.rpcUrl) });

/** The worker as deployed on this chain; receipts are awaited briefly so a slow block leaves the post to the next tick. */
const chainEnv: Env = workerOnChain(c, { CHAIN_RECEIPT_WAIT_MS: "400" });
/** The same worker while its RPC is unreachable (nothing listens on port 1), behind a keyed URL that must never leak. */
const SECRET = "k3y-0f-th3-pr0v1d3r";
const downEnv: Env = { ...chainEnv, CHAIN_RPC_URL: `http://127.0.0.1:1/v2/${SECRET}` };

const node = "0x00000000000000000000000000000000000e0c01" as Address;
const t = fixture(70_000, 9101, "writer.bin");

const rpc = (method: string, params: unknown[] = []) => pub.request({ method: method as never, params: params as never });
const automine = (on: boolean) => rpc("evm_setAutomine", [on]);
const mine = () => rpc("evm_mine");
const lastOnChain = () => pub.readContract({ address: a.epochRewards, abi: epochRewardsAbi, functionName: "lastEpoch" });
const postedEvents = async (epoch: number) =>
  (await pub.getContractEvents({ address: a.epochRewards, abi: epochRewardsAbi, eventName: "RootPosted", args: { epoch: BigInt(epoch) }, fromBlock: 0n })).length;
const d = () => db(env.DB);
const rowOf = (epoch: number) => d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get();
const postsOf = (epoch: number) => d().select().from(schema.epochPosts).where(eq(schema.epochPosts.epoch, epoch)).orderBy(schema.epochPosts.attempt);
const unfinishedRow = () => d().select().from(schema.epochs).where(ne(schema.epochs.state, "final")).get();
const epochRows = async () => (await d().select({ n: count() }).from(schema.epochs).get())!.n;

/** The node passes a challenge in the open epoch, so it has something to earn; returns that epoch. */
async function earnIn(): Promise<number> {
  const epoch = await openEpoch(d());
  await d().insert(schema.challenges).values(transcriptRow(madeTranscript(epoch, node, t.infoHash, "pass", { host: "10.77.0.1" })));
  return epoch;
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: (e as { code?: string }).code ?? "", message: (e as Error).message };
  }
  throw new Error("expected a rejection");
}

/** Committed exactly once: one RootPosted for the epoch, our roots on-chain, D1 final with that transaction. */
async function expectCommittedOnce(epoch: number) {
  expect(await postedEvents(epoch)).toBe(1);
  expect(await lastOnChain()).toBe(BigInt(epoch));
  const row = (await rowOf(epoch))!;
  expect(row.state).toBe("final");
  const onChain = (await pub.readContract({ address: a.epochRewards, abi: epochRewardsAbi, functionName: "rootOf", args: [BigInt(epoch)] })) as { earnedRoot: Hex; inputsHash: Hex };
  expect(onChain.earnedRoot).toBe(row.root);
  expect(onChain.inputsHash).toBe(row.inputsHash);
  const receipt = await pub.getTransactionReceipt({ hash: row.txHash as Hex });
  expect(receipt.status).toBe("success");
  return row;
}

describe("the epoch writer on a chain that misbehaves", () => {
  beforeAll(async () => {
    expect((await uploadTorrent(t)).status).toBe(201);
  });
  afterEach(async () => {
    await automine(true);
  });

  it("adopts a post mined after the worker stopped waiting: one post, D1 final, /epochs and claims work (attack: late-mined post wedges the edge)", async () => {
    const epoch = await earnIn();
    await automine(false);
    const pending = await rejection(closeEpoch(chainEnv));
    expect(pending.code).toBe("post_pending");
    // Recorded before it was sent: D1 knows the hash the chain is about to mine.
    const posts = await postsOf(epoch);
    expect(posts).toHaveLength(1);
    expect((await rowOf(epoch))!.state).toBe("sent");
    expect(await pub.getTransaction({ hash: posts[0]!.txHash as Hex })).toMatchObject({ nonce: posts[0]!.nonce });
    expect(await lastOnChain()).toBe(BigInt(epoch - 1));
    // The open epoch moved on at the settle: new challenges are the next epoch's.
    expect(await openEpoch(d())).toBe(epoch + 1);

    await mine();
    await automine(true);
    const resumed = await resumeClose(chainEnv);
    expect(resumed).toMatchObject({ epoch, state: "final", txHash: posts[0]!.txHash });
    await expectCommittedOnce(epoch);
    expect(await postsOf(epoch)).toHaveLength(1);
    // Nothing is left to resume; the next tick does nothing.
    expect(await resumeClose(chainEnv)).toBeUndefined();
    const listed = (await (await call("/api/epochs")).json()) as { epoch: number; state: string; txHash: string }[];
    expect(listed.find((e) => e.epoch === epoch)).toMatchObject({ state: "final", txHash: posts[0]!.txHash });

    // Claims: past the dispute window, the published proof claims the node's leaf on-chain.
    await rpc("evm_increaseTime", [3_601]);
    await mine();
    const proof = (await (await call(`/api/epochs/${epoch}/proof/${node}`)).json()) as { cumulative: string; proof: Hex[] };
    const hash = await deployer.writeContract({ address: a.epochRewards, abi: epochRewardsAbi, functionName: "claim", args: [BigInt(epoch), node, BigInt(proof.cumulative), proof.proof] });
    expect((await pub.waitForTransactionReceipt({ hash })).status).toBe("success");
    expect(await pub.readContract({ address: a.epochRewards, abi: epochRewardsAbi, functionName: "claimedOf", args: [node] })).toBe(BigInt(proof.cumulative));
  });

  for (const step of ["settled", "published", "sent", "mined"] as const) {
    it(`resumes a close that crashed right after recording "${step}" and posts it exactly once (attack: crash mid-close)`, async () => {
      const epoch = await earnIn();
      const crash = await rejection(closeEpoch({ ...chainEnv, TEST_CRASH_AFTER: step }));
      expect(crash.message).toContain(`test crash after ${step}`);
      const row = (await rowOf(epoch))!;
      expect(row.state).toBe(step);
      // Before "sent" nothing was signed; at "sent" it was recorded but never broadcast.
      expect((await postsOf(epoch)).length).toBe(step === "settled" || step === "published" ? 0 : 1);
      expect(await lastOnChain()).toBe(BigInt(step === "mined" ? epoch : epoch - 1));

      // The next tick: resumed from the record, never settled again (same roots), never posted twice.
      const resumed = await resumeClose(chainEnv);
      expect(resumed).toMatchObject({ epoch, state: "final", root: row.root, inputsHash: row.inputsHash });
      await expectCommittedOnce(epoch);
      expect(await postsOf(epoch)).toHaveLength(1);
      expect(await openEpoch(d())).toBe(epoch + 1);
    });
  }

  it("waits through an RPC outage without settling or posting twice, re-sends the same bytes when the node lost them, and recovers (attack: chain outage)", async () => {
    const epoch = await earnIn();
    const before = await epochRows();
    // Down before the settle: deposits and bounties cannot be read, so nothing is settled.
    const down = await rejection(closeEpoch(downEnv));
    expect(down.code).toBe("chain_error");
    expect(down.message).not.toContain(SECRET);
    expect(await epochRows()).toBe(before);

    // Up: settled and sent, not mined. Then down again while the node forgets the transaction.
    await automine(false);
    expect((await rejection(closeEpoch(chainEnv))).code).toBe("post_pending");
    const [sent] = await postsOf(epoch);
    expect((await rejection(resumeClose(downEnv))).code).toBe("chain_error");
    expect((await rowOf(epoch))!.state).toBe("sent");
    await rpc("anvil_dropTransaction", [sent!.txHash]);

    // Back: the recorded bytes are broadcast again (same hash, same nonce), mined once.
    expect((await rejection(resumeClose(chainEnv))).code).toBe("post_pending");
    expect(await pub.getTransaction({ hash: sent!.txHash as Hex })).toMatchObject({ nonce: sent!.nonce });
    await mine();
    expect(await resumeClose(chainEnv)).toMatchObject({ epoch, state: "final", txHash: sent!.txHash });
    await expectCommittedOnce(epoch);
    expect(await postsOf(epoch)).toHaveLength(1);
    const failures = await d().select().from(schema.closeErrors).where(eq(schema.closeErrors.code, "chain_error")).get();
    expect(failures!.count).toBeGreaterThanOrEqual(2);
    expect(failures!.message).not.toContain(SECRET);
  });

  it("replaces a stuck post with higher fees on the same nonce, and only one of them is mined (attack: stuck nonce, second post)", async () => {
    const epoch = await earnIn();
    const t0 = Date.now();
    await automine(false);
    expect((await rejection(closeEpoch(chainEnv, t0))).code).toBe("post_pending");
    // Still within CHAIN_REPLACE_AFTER_SECONDS: the same transaction, no replacement.
    expect((await rejection(resumeClose(chainEnv, t0 + 60_000))).code).toBe("post_pending");
    expect(await postsOf(epoch)).toHaveLength(1);
    // Stuck past it: a replacement on the same nonce with higher fees.
    expect((await rejection(resumeClose(chainEnv, t0 + 181_000))).code).toBe("post_pending");
    const [first, second] = await postsOf(epoch);
    expect(second).toMatchObject({ attempt: 2, nonce: first!.nonce });
    expect(second!.txHash).not.toBe(first!.txHash);
    expect(BigInt(second!.maxFeePerGas)).toBeGreaterThan(BigInt(first!.maxFeePerGas));
    expect(BigInt(second!.maxPriorityFeePerGas)).toBeGreaterThan(BigInt(first!.maxPriorityFeePerGas));
    const tx = parseTransaction(second!.rawTx as Hex);
    expect(tx.nonce).toBe(first!.nonce);

    await mine();
    expect(await resumeClose(chainEnv, t0 + 182_000)).toMatchObject({ epoch, state: "final", txHash: second!.txHash });
    await expectCommittedOnce(epoch);
    // The first never mines: its nonce is taken by the replacement.
    await mine();
    expect(await pub.getTransactionReceipt({ hash: first!.txHash as Hex }).catch(() => null)).toBeNull();
    expect(await postsOf(epoch)).toHaveLength(2);
  });

  it("waits CHAIN_CONFIRMATIONS blocks, and follows a post reorganised away until it is mined again, once (attack: reorg drops the post)", async () => {
    const epoch = await earnIn();
    const deep: Env = { ...chainEnv, CHAIN_CONFIRMATIONS: "3" };
    await automine(false);
    expect((await rejection(closeEpoch(deep))).code).toBe("post_pending");
    const [sent] = await postsOf(epoch);
    const beforeBlock = await rpc("evm_snapshot");
    await mine();
    // Mined but one block deep: not final yet.
    expect((await rejection(resumeClose(deep))).message).toContain("1 of 3 blocks deep");
    expect((await rowOf(epoch))!).toMatchObject({ state: "mined", txHash: sent!.txHash });
    // The block is reorganised away: the writer goes back to following the same recorded post.
    await rpc("evm_revert", [beforeBlock]);
    expect(await lastOnChain()).toBe(BigInt(epoch - 1));
    expect((await rejection(resumeClose(deep))).message).toContain("reorganised away");
    expect((await rowOf(epoch))!.state).toBe("sent");
    expect((await rejection(resumeClose(deep))).code).toBe("post_pending");
    await mine();
    await mine();
    await mine();
    expect(await resumeClose(deep)).toMatchObject({ epoch, state: "final", txHash: sent!.txHash });
    await expectCommittedOnce(epoch);
    expect(await postsOf(epoch)).toHaveLength(1);
  });

  it("halts when another holder of the key takes the post's nonce, and posts on the next nonce once the operator clears the halt (attack: second writer on the poster key)", async () => {
    const epoch = await earnIn();
    await automine(false);
    expect((await rejection(closeEpoch(chainEnv))).code).toBe("post_pending");
    const [ours] = await postsOf(epoch);
    // Someone else signs with the poster's key on the same nonce, paying more: theirs is mined.
    const fee = BigInt(ours!.maxFeePerGas) * 2n;
    await poster.sendTransaction({ to: deployer.account.address, value: 1n, nonce: ours!.nonce, maxFeePerGas: fee, maxPriorityFeePerGas: fee });
    await mine();
    await automine(true);
    const halted = await rejection(resumeClose(chainEnv));
    expect(halted.code).toBe("epoch_halted");
    expect(halted.message).toContain("nonce_taken");
    expect(await lastOnChain()).toBe(BigInt(epoch - 1));
    // The runbook's step once the key is safe again: back to "published"; the writer posts anew.
    await d().update(schema.epochs).set({ state: "published", haltReason: null }).where(eq(schema.epochs.epoch, epoch));
    expect(await resumeClose(chainEnv)).toMatchObject({ epoch, state: "final" });
    await expectCommittedOnce(epoch);
    const posts = await postsOf(epoch);
    expect(posts.map((p) => [p.attempt, p.nonce])).toEqual([
      [1, ours!.nonce],
      [2, ours!.nonce + 1],
    ]);
    expect((await rowOf(epoch))!.txHash).toBe(posts[1]!.txHash);
  });

  it("refuses to settle or post on an RPC whose chain id is not CHAIN_ID (attack: wrong network)", async () => {
    const epoch = await earnIn();
    const before = await epochRows();
    const wrong = await rejection(closeEpoch({ ...chainEnv, CHAIN_ID: "84532" }));
    expect(wrong.code).toBe("chain_id_mismatch");
    expect(wrong.message).toContain(`the RPC serves chain ${c.chainId} but CHAIN_ID is 84532`);
    expect(await epochRows()).toBe(before);
    expect(await lastOnChain()).toBe(BigInt(epoch - 1));
    // A close already settled is not posted either.
    expect((await rejection(closeEpoch({ ...chainEnv, TEST_CRASH_AFTER: "published" }))).message).toContain("test crash after published");
    expect((await rejection(resumeClose({ ...chainEnv, CHAIN_ID: "84532" }))).code).toBe("chain_id_mismatch");
    expect(await postsOf(epoch)).toHaveLength(0);
    expect((await d().select().from(schema.closeErrors).where(eq(schema.closeErrors.code, "chain_id_mismatch")).get())!.count).toBe(2);
    // With the right id it goes through.
    expect(await resumeClose(chainEnv)).toMatchObject({ epoch, state: "final" });
    await expectCommittedOnce(epoch);
  });

  it("halts and never posts when the chain already holds other roots for the epoch, and says so in /metrics (attack: bad root adopted or posted over)", async () => {
    const epoch = await earnIn();
    // Someone with the poster's key posts other roots for this epoch first.
    const previous = (await rowOf(epoch - 1))!;
    const foreign = `0x${"ab".repeat(32)}` as Hex;
    const hash = await poster.writeContract({
      address: a.epochRewards,
      abi: epochRewardsAbi,
      functionName: "postRoot",
      args: [BigInt(epoch), foreign, `0x${"00".repeat(32)}`, `0x${"00".repeat(32)}`, foreign, BigInt(previous.totalEarned), []],
    });
    expect((await pub.waitForTransactionReceipt({ hash })).status).toBe("success");

    const halted = await rejection(closeEpoch(chainEnv));
    expect(halted.code).toBe("epoch_halted");
    expect(halted.message).toContain("bad_root");
    const row = (await rowOf(epoch))!;
    expect(row.state).toBe("halted");
    expect(row.haltReason).toContain(foreign);
    // Every later tick stops on it too, and nothing is ever sent.
    expect((await rejection(resumeClose(chainEnv))).code).toBe("epoch_halted");
    expect(await postsOf(epoch)).toHaveLength(0);
    expect(await postedEvents(epoch)).toBe(1);

    // /metrics (with the chain configured) shows the halt, the attempts, the failures and both last epochs.
    const ctx = createExecutionContext();
    const res = await app.request("/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }, chainEnv, ctx);
    await waitOnExecutionContext(ctx);
    const text = await res.text();
    expect(text).toContain(`vidya_epoch_closing ${epoch}`);
    expect(text).toContain('vidya_epoch_close_state{state="halted"} 1');
    expect(text).toContain('vidya_epoch_close_failures_total{code="bad_root"} 1');
    expect(text).toContain(`vidya_epoch_last{source="d1"} ${epoch - 1}`);
    expect(text).toContain(`vidya_epoch_last{source="chain"} ${epoch}`);
    expect(text).toMatch(/vidya_epoch_post_attempts_total (\d+)/);
    expect(Number(/vidya_epoch_post_attempts_total (\d+)/.exec(text)![1])).toBe(await (async () => (await d().select({ n: count() }).from(schema.epochPosts).get())!.n)());
    expect(text).toMatch(/vidya_epoch_open_age_seconds \d+/);
    const balance = await pub.getBalance({ address: poster.account.address });
    expect(text).toContain(`vidya_chain_poster_balance_wei ${balance}`);
    expect(text).not.toContain(SECRET);
  });

  it("recovers from a bad root as the runbook says: the guardian disables it, the next epoch carries the totals, and claims resume (attack: a bad root wedges the edge for good)", async () => {
    const halted = (await unfinishedRow())!;
    expect(halted.state).toBe("halted");
    const epoch = halted.epoch;
    // The guardian (the deployer here) disables the foreign roots; the operator marks the epoch done.
    const disable = await deployer.writeContract({ address: a.epochRewards, abi: epochRewardsAbi, functionName: "disableRoot", args: [BigInt(epoch)] });
    expect((await pub.waitForTransactionReceipt({ hash: disable })).status).toBe("success");
    await d().update(schema.epochs).set({ state: "final", haltReason: "chain root disabled; totals carried by the next epoch" }).where(eq(schema.epochs.epoch, epoch));

    const next = await earnIn();
    expect(next).toBe(epoch + 1);
    expect(await closeEpoch(chainEnv)).toMatchObject({ epoch: next, state: "final" });
    await expectCommittedOnce(next);
    // Cumulative: the next leaf includes the halted epoch's earnings, and it is claimable once final.
    await rpc("evm_increaseTime", [3_601]);
    await mine();
    const proof = (await (await call(`/api/epochs/${next}/proof/${node}`)).json()) as { cumulative: string; proof: Hex[] };
    const inHalted = await d().select().from(schema.leaves).where(and(eq(schema.leaves.epoch, epoch), eq(schema.leaves.account, node))).get();
    expect(BigInt(proof.cumulative)).toBeGreaterThan(BigInt(inHalted!.cumulative));
    const claim = await deployer.writeContract({ address: a.epochRewards, abi: epochRewardsAbi, functionName: "claim", args: [BigInt(next), node, BigInt(proof.cumulative), proof.proof] });
    expect((await pub.waitForTransactionReceipt({ hash: claim })).status).toBe("success");
    expect(await pub.readContract({ address: a.epochRewards, abi: epochRewardsAbi, functionName: "claimedOf", args: [node] })).toBe(BigInt(proof.cumulative));
  });
});

describe("Escrow settlements by the poster key are recorded writer steps", () => {
  const payer = privateKeyToAccount(`0x${"5e".repeat(32)}`);
  const DEPOSIT = 10n * ONE_TOKEN;
  const GB = 1_000_000_000;
  const settlementsOf = (account: string) => d().select().from(schema.escrowSettlements).where(eq(schema.escrowSettlements.account, account.toLowerCase())).orderBy(schema.escrowSettlements.attempt);
  const accountOf = async () => (await pub.readContract({ address: a.escrow, abi: escrowAbi, functionName: "accountOf", args: [payer.address] })) as { balance: bigint; settled: bigint };
  afterEach(async () => {
    await automine(true);
  });

  it("resumes a settlement that crashed between its record and its receipt: same bytes re-sent, replaced on its nonce when stuck, settled once (attack: dropped settlement leaves a nonce gap, second settlement)", async () => {
    // A member with a deposit, charged 1 GB past its allotment in a posted epoch.
    await addMember(payer.address);
    await rpc("anvil_setBalance", [payer.address, "0x56bc75e2d63100000"]);
    const asPayer = createWalletClient({ account: payer, chain: anvil, transport: http(c.rpcUrl) });
    for (const h of [
      await deployer.writeContract({ address: a.token, abi: vidyaTokenAbi, functionName: "transfer", args: [payer.address, DEPOSIT] }),
      await asPayer.writeContract({ address: a.token, abi: vidyaTokenAbi, functionName: "approve", args: [a.escrow, DEPOSIT] }),
      await asPayer.writeContract({ address: a.escrow, abi: escrowAbi, functionName: "deposit", args: [DEPOSIT] }),
    ])
      expect((await pub.waitForTransactionReceipt({ hash: h })).status).toBe("success");
    const charged = await earnIn();
    await d().insert(schema.ledger).values({ epoch: charged, member: payer.address.toLowerCase(), infoHash: t.infoHash, downloaded: 11 * GB, creditedDownloaded: 11 * GB });
    expect(await closeEpoch(chainEnv)).toMatchObject({ epoch: charged, state: "final" });
    const leaf = (await d().select().from(schema.spent).where(and(eq(schema.spent.epoch, charged), eq(schema.spent.account, payer.address.toLowerCase()))).get())!;
    expect(BigInt(leaf.cumulative)).toBeGreaterThan(0n);
    // Past the dispute window: the next close settles it, and dies right after recording the settlement.
    await rpc("evm_increaseTime", [3_601]);
    await mine();
    const next = await earnIn();
    const crash = await rejection(closeEpoch({ ...chainEnv, TEST_CRASH_AFTER: "settlement_sent" }));
    expect(crash.message).toContain("test crash after settlement_sent");
    expect((await rowOf(next))!.state).toBe("final");
    const [recorded] = await settlementsOf(payer.address);
    expect(recorded).toMatchObject({ epoch: charged, attempt: 1, state: "sent", cumulative: leaf.cumulative });
    expect((await accountOf()).settled).toBe(0n);

    // The next tick, blocks not being mined: the recorded bytes are sent again, never signed anew.
    await automine(false);
    await resumeClose(chainEnv);
    expect(await settlementsOf(payer.address)).toHaveLength(1);
    expect(await pub.getTransaction({ hash: recorded!.txHash as Hex })).toMatchObject({ nonce: recorded!.nonce });
    // Stuck past CHAIN_REPLACE_AFTER_SECONDS: replaced on the same nonce with higher fees, recorded before it is sent.
    await resumeClose(chainEnv, Date.now() + 181_000);
    const attempts = await settlementsOf(payer.address);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toMatchObject({ attempt: 2, nonce: recorded!.nonce, state: "sent" });
    expect(BigInt(attempts[1]!.maxFeePerGas)).toBeGreaterThan(BigInt(recorded!.maxFeePerGas));
    expect(parseTransaction(attempts[1]!.rawTx as Hex).nonce).toBe(recorded!.nonce);

    await mine();
    await automine(true);
    await resumeClose(chainEnv);
    // Settled exactly once: one attempt mined, the charge collected, every attempt marked.
    const after = await settlementsOf(payer.address);
    expect(after.map((r) => r.state)).toEqual(["mined", "mined"]);
    const receipts = await Promise.all(after.map((r) => pub.getTransactionReceipt({ hash: r.txHash as Hex }).catch(() => null)));
    expect(receipts.filter((r) => r !== null)).toHaveLength(1);
    expect(await accountOf()).toMatchObject({ balance: DEPOSIT - BigInt(leaf.cumulative), settled: BigInt(leaf.cumulative) });
    // The next close sends nothing more for the settled leaf, and posts on the next nonce.
    await earnIn();
    expect(await closeEpoch(chainEnv)).toMatchObject({ state: "final" });
    expect(await settlementsOf(payer.address)).toHaveLength(2);
    expect((await accountOf()).settled).toBe(BigInt(leaf.cumulative));
    const ctx = createExecutionContext();
    const res = await app.request("/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }, chainEnv, ctx);
    const metrics = await res.text();
    await waitOnExecutionContext(ctx);
    expect(metrics).toContain('vidya_escrow_settlements{state="mined"} 2');
    expect(metrics).toContain('vidya_escrow_settlements{state="sent"} 0');
  });
});

describe("the chain's RPC URL stays private", () => {
  it("GET /api/chain publishes PUBLIC_RPC_URL, never CHAIN_RPC_URL (attack: keyed provider URL leaks)", async () => {
    const keyed = { ...chainEnv, CHAIN_RPC_URL: `https://base-sepolia.example/v2/${SECRET}` };
    const none = (await (await app.request("/api/chain", {}, keyed)).json()) as { rpcUrl: string | null; chainId: number };
    expect(none.rpcUrl).toBeNull();
    expect(none.chainId).toBe(c.chainId);
    const pub = (await (await app.request("/api/chain", {}, { ...keyed, PUBLIC_RPC_URL: "https://sepolia.base.org" })).json()) as { rpcUrl: string };
    expect(pub.rpcUrl).toBe("https://sepolia.base.org");
    const page = await (await app.request("/epochs", {}, keyed)).text();
    expect(page).not.toContain(SECRET);
  });

  it("strips URLs from error messages before they are logged or answered (attack: RPC key in logs)", () => {
    const e = new Error(`HTTP request failed.\n\nURL: https://base-sepolia.g.example.com/v2/${SECRET}\nRequest body: {"method":"eth_chainId"}`);
    const m = safeMessage(e);
    expect(m).not.toContain(SECRET);
    expect(m).toContain("HTTP request failed. URL: <url>");
  });
});
