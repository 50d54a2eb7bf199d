// Payment-backed bytes (issue #11 part 1, DESIGN.md "A deposit backs only what it can pay"):
// the close charges at most what a deposit can still pay, only the bytes that pays for count as
// paid, and upload rewards follow what was actually charged.

import { describe, expect, it } from "vitest";
import { BYTES_PER_GB, DISPUTE_DELAY_SECONDS, DOWNLOAD_PRICE_PER_GB, EPOCH_SECONDS, ESCROW_WITHDRAWAL_DELAY_SECONDS, FREE_ALLOTMENT_BYTES, UPLOAD_POOL, UPLOAD_PRICE_SHARE_BPS } from "../params.ts";
import { downloadCharge } from "../economics/access.ts";
import { availableBalance, coveredBytes, EMPTY_ALLOTMENT, overcharged, splitDownload } from "../economics/allotment.ts";
import { uploadRewards, type Transfer } from "../economics/upload-rewards.ts";
import { rng } from "./random.ts";

const GB = BYTES_PER_GB;
const PRICE = DOWNLOAD_PRICE_PER_GB;
const ih = "aa".repeat(20);
/** The idle torrent the dust attack runs on: nobody else downloads it. */
const idle = "bb".repeat(20);

/** What the close does for one member and one torrent: split against the deposit's budget, charge what it covers. */
function closeOne(member: string, downloaded: bigint, uploaded: bigint, available: bigint, infoHash = ih): Transfer {
  const s = splitDownload(EMPTY_ALLOTMENT, 100, downloaded, { available, pricePerGB: PRICE });
  return { member, infoHash, paidDownloaded: s.paid, freeDownloaded: s.free + s.slowed, uploaded, charged: s.charged };
}

describe("a deposit backs only what it can pay", () => {
  it("available balance: the on-chain balance minus charges not settled yet, never negative", () => {
    expect(availableBalance(10n, 0n, 0n)).toBe(10n);
    expect(availableBalance(10n, 0n, 4n)).toBe(6n);
    // 4 already settled (the balance already lost it): nothing more is owed.
    expect(availableBalance(6n, 4n, 4n)).toBe(6n);
    expect(availableBalance(6n, 4n, 7n)).toBe(3n);
    // Charged beyond the balance before this rule: nothing left to charge.
    expect(availableBalance(1n, 0n, 5n)).toBe(0n);
    expect(() => availableBalance(-1n, 0n, 0n)).toThrow(RangeError);
  });

  it("covered bytes never cost more than the balance (property)", () => {
    const r = rng(11);
    for (let i = 0; i < 2_000; i++) {
      const available = r.big(10n ** 21n);
      const price = 1n + r.big(10n ** 19n);
      const bytes = coveredBytes(available, price);
      expect(downloadCharge(bytes, price)).toBeLessThanOrEqual(available);
      // One more GB would not be covered.
      expect(downloadCharge(bytes + GB, price)).toBeGreaterThan(available);
    }
    expect(coveredBytes(5n, 0n)).toBe(0n);
  });

  it("splits a dust deposit's 100,000 GB into the allotment and slowed bytes, none paid (attack: dust deposit)", () => {
    const s = splitDownload(EMPTY_ALLOTMENT, 100, 100_000n * GB, { available: 1n, pricePerGB: PRICE });
    expect(s.free).toBe(FREE_ALLOTMENT_BYTES);
    expect(s.paid).toBe(0n);
    expect(s.charged).toBe(0n);
    expect(s.slowed).toBe(100_000n * GB - FREE_ALLOTMENT_BYTES);
  });

  it("charges a deposit its whole balance at most, and counts as paid only what that covers", () => {
    const s = splitDownload(EMPTY_ALLOTMENT, 100, FREE_ALLOTMENT_BYTES + 50n * GB, { available: 3n * PRICE, pricePerGB: PRICE });
    expect(s.paid).toBe(3n * GB);
    expect(s.charged).toBe(3n * PRICE);
    expect(s.slowed).toBe(47n * GB);
  });

  it("the withdrawal delay outlasts an epoch and its dispute window (finality)", () => {
    expect(ESCROW_WITHDRAWAL_DELAY_SECONDS).toBeGreaterThan(EPOCH_SECONDS + DISPUTE_DELAY_SECONDS);
  });
});

describe("upload rewards follow the money collected", () => {
  const honestBuyer = "0x00000000000000000000000000000000000000b1";
  const honest = "0x00000000000000000000000000000000000000a1";
  const dust = "0x00000000000000000000000000000000000000d1";
  const accomplice = "0x00000000000000000000000000000000000000d2";
  // The honest market: a buyer pays for 20 GB past its allotment, an honest uploader sends them.
  const market = [closeOne(honestBuyer, FREE_ALLOTMENT_BYTES + 20n * GB, 0n, 100n * PRICE), closeOne(honest, 0n, FREE_ALLOTMENT_BYTES + 20n * GB, 0n)];
  // Since receipts, upload tokens go to proven hosts only (upload-rewards.ts): both uploaders host.
  const hosts = { hosts: new Map([[ih, [honest]], [idle, [accomplice]]]) };

  it("a 1-wei deposit's 100,000 GB on an idle torrent and its accomplice's 100,000 GB uploaded earn the accomplice nothing, and leave the honest uploader's reward unchanged (attack: dust deposit)", () => {
    const swarms = [{ infoHash: ih }, { infoHash: idle }];
    const before = uploadRewards(market, swarms, UPLOAD_POOL, "fixed-gate", hosts);
    const attack = [...market, closeOne(dust, 100_000n * GB, 0n, 1n, idle), closeOne(accomplice, 0n, 100_000n * GB, 0n, idle)];
    const after = uploadRewards(attack, swarms, UPLOAD_POOL, "fixed-gate", hosts);
    expect(after.perMember.get(honest)).toBeGreaterThan(0n);
    expect(after.perMember.get(honest)).toBe(before.perMember.get(honest));
    expect(after.perMember.get(accomplice) ?? 0n).toBe(0n);
    expect(after.spent.get(dust) ?? 0n).toBe(0n);
    expect(after.swarms.find((x) => x.infoHash === idle)).toMatchObject({ paid: 0n, charged: 0n, credited: 0n });
    // Everything anyone earned is at most 80% of what was actually charged.
    let earned = 0n;
    for (const v of after.perMember.values()) earned += v;
    let charged = 0n;
    for (const x of after.swarms) charged += x.charged;
    expect(earned * 10_000n).toBeLessThanOrEqual(charged * UPLOAD_PRICE_SHARE_BPS);
  });

  it("a deposit that covers part of the report: the accomplice earns at most 80% of what was charged, less per unit of cost than it paid (attack: dust deposit, larger)", () => {
    const after = uploadRewards([closeOne(dust, FREE_ALLOTMENT_BYTES + 100_000n * GB, 0n, 5n * PRICE, idle), closeOne(accomplice, 0n, 100_000n * GB, 0n, idle)], [{ infoHash: idle }], UPLOAD_POOL, "fixed-gate", hosts);
    expect(after.spent.get(dust)).toBe(5n * PRICE);
    expect(after.swarms[0]!.paid).toBe(5n * GB);
    expect(after.perMember.get(accomplice)).toBe((5n * PRICE * UPLOAD_PRICE_SHARE_BPS) / 10_000n);
  });

  it("without the honest market, the dust deposit creates no credit at all (attack: dust deposit)", () => {
    const r = uploadRewards([closeOne(dust, 100_000n * GB, 0n, 1n), closeOne(accomplice, 0n, 100_000n * GB, 0n)], [{ infoHash: ih }], UPLOAD_POOL, "fixed-gate", { hosts: new Map([[ih, [accomplice]]]) });
    expect(r.paid).toBe(0n);
    expect(r.perMember.size).toBe(0);
    expect(r.unspent).toBe(UPLOAD_POOL);
  });
});

describe("anyone can check the charges in the published inputs", () => {
  it("flags a close that charged a member beyond its balance, or whose transfers do not add up (attack: an edge overcharging)", () => {
    const transfers = [
      { member: "0xA", charged: "5" },
      { member: "0xa", charged: "3" },
      { member: "0xb", charged: "9" },
      { member: "0xc", charged: "1" },
    ];
    const outcomes = [
      { member: "0xa", balance: "10", charged: "8" },
      { member: "0xb", balance: "4", charged: "9" },
      { member: "0xc", balance: "10", charged: "2" },
      // An epoch closed before the rule: nothing to check.
      { member: "0xd" },
    ];
    expect(overcharged(transfers, outcomes)).toEqual(["0xb", "0xc"]);
    expect(overcharged(transfers.slice(0, 2), outcomes.slice(0, 1))).toEqual([]);
  });
});
