// The members' site in real headless Chromium against the real network: anvil with the
// contracts, the worker in workerd, a seeding node that was challenged and paid. The page's
// wallet is the test wallet of support/browser.ts (a real key on the real chain).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { parseUnits, type Hex } from "viem";
import { hostingBadgesAbi, hostingBountiesAbi, stakingAbi } from "../../contracts/abi.ts";
import { clients } from "../../scripts/network/chain.ts";
import { LocalNetwork, type EpochInfo, type RunningNode } from "../../scripts/network/network.ts";
import { ROOT } from "../../scripts/network/chain.ts";
import { contextWithWallet, launchChromium, screenshot } from "./support/browser.ts";
import { formatVidya } from "../../protocol/format.ts";
import { HOLDBACK_NEW_BPS } from "../../protocol/params.ts";
import { asBytes, asDict, decode } from "../../protocol/bencode.ts";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { TrackerApi } from "../../node/api.ts";
import { fixture } from "../worker/support/fixture.ts";

describe("the members' site in Chromium", () => {
  let net: LocalNetwork;
  let node: RunningNode;
  let epoch: EpochInfo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const runDir = join(ROOT, ".vidya", `web-${process.pid}`);

  beforeAll(async () => {
    net = await LocalNetwork.start({ dir: runDir, datasetDir: join(ROOT, ".vidya", "dataset"), nodes: [["retro-arcade-pack", "homebrew-tools"]], disputeDelaySeconds: 3 });
    node = net.nodes[0]!;
    const results = await net.runChallenges();
    expect(results.every((r) => r.verdict === "pass")).toBe(true);
    epoch = await net.closeEpoch();
    await net.waitFinal(epoch.epoch);
    browser = await launchChromium();
    // The node operator's own key, imported into the browser wallet.
    const key = (JSON.parse(readFileSync(join(node.home, "wallet.json"), "utf8")) as { privateKey: Hex }).privateKey;
    // A node key is no membership: the operator also joins, by an admin's invite, and keeps both.
    const made = await fetch(`${net.trackerUrl}/admin/invites`, { method: "POST", headers: { Authorization: `Bearer ${net.adminToken}` } });
    const { invite } = (await made.json()) as { invite: string };
    await new TrackerApi(net.trackerUrl).join(privateKeyToAccount(key), net.chain.chainId, invite);
    context = await contextWithWallet(browser, { key, rpcUrl: net.chain.rpcUrl, chainId: net.chain.chainId });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await net?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  it("signs in with the wallet (Sign-In with Ethereum) and shows the account", async () => {
    await page.goto(`${net.trackerUrl}/signin`);
    await screenshot(page, "signin");
    await page.click('button[data-action="signin"]');
    // The operator is a member (it joined by invite), so the site goes on to the profile page.
    await page.waitForURL((u) => u.pathname !== "/signin");
    await page.goto(`${net.trackerUrl}/signin`);
    expect(await page.textContent("main")).toContain(`You are signed in as ${node.address.toLowerCase()}`);
    expect(await page.getAttribute("header .who a", "title")).toBe(node.address.toLowerCase());
  });

  it("verifies the node's proof against the root on-chain, in the browser", async () => {
    await page.goto(`${net.trackerUrl}/epochs/${epoch.epoch}`);
    await page.fill('form[data-action="check-proof"] input[name="account"]', node.address);
    await page.click('form[data-action="check-proof"] button[type="submit"]');
    const status = page.locator('[data-status="check-proof"][data-kind="ok"]');
    await status.waitFor();
    expect(await status.textContent()).toContain(`on-chain root ${epoch.root}`);
    expect(await page.getAttribute('form[data-action="check-proof"]', "data-verified")).toBe("true");
    await screenshot(page, "epoch-explorer");
  });

  it("says NOT verified for an account that is not in the epoch's leaves", async () => {
    await page.goto(`${net.trackerUrl}/epochs/${epoch.epoch}`);
    await page.fill('form[data-action="check-proof"] input[name="account"]', "0x000000000000000000000000000000000000dEaD");
    await page.click('form[data-action="check-proof"] button[type="submit"]');
    const status = page.locator('[data-status="check-proof"][data-kind="error"]');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/no leaf/);
  });

  it("shows the node dashboard with its earnings plot, and claims through the wallet until the claim is mined", async () => {
    await page.goto(`${net.trackerUrl}/nodes/${node.address}`);
    expect(await page.locator("svg.plot rect.bar").count()).toBeGreaterThanOrEqual(1);
    expect(await page.textContent('[data-testid="pass-rate"]')).toBe("100.0%");
    await screenshot(page, "node-dashboard");
    const leaf = await net.api<{ cumulative: string }>(`/api/epochs/${epoch.epoch}/proof/${node.address}`);
    expect((await net.claimedOnChain(node.address)).claimed).toBe(0n);
    await page.click('button[data-action="claim"]');
    const status = page.locator('[data-status="claim"][data-kind="ok"]');
    await status.waitFor({ timeout: 60_000 });
    expect(await status.textContent()).toMatch(/mined in block \d+/);
    expect((await net.claimedOnChain(node.address)).claimed).toBe(BigInt(leaf.cumulative));
    await page.reload();
    expect(await page.textContent("main")).toContain("Nothing to claim now.");
    // A new node's first claim holds back HOLDBACK_NEW_BPS as its bond, vesting (contracts/src/HeldEarnings.sol).
    expect(await page.textContent('[data-testid="held"]')).toBe(formatVidya((BigInt(leaf.cumulative) * HOLDBACK_NEW_BPS) / 10_000n));
  });

  it("stakes through the wallet (approve, then stake) and shows the staked balance change on-chain", async () => {
    const { publicClient } = clients(net.chain);
    const stakedBefore = await publicClient.readContract({ address: net.chain.addresses.staking, abi: stakingAbi, functionName: "stakeOf", args: [node.address] });
    await page.goto(`${net.trackerUrl}/wallet`);
    expect(await page.textContent('[data-testid="staked"]')).toBe("0.0000 VIDYA");
    await page.fill('form[data-function="stake"] input[name="amount"]', "100");
    await page.click('form[data-function="stake"] button[type="submit"]');
    const status = page.locator('[data-status="stake"][data-kind="ok"]');
    await status.waitFor({ timeout: 60_000 });
    expect(await status.textContent()).toMatch(/^Stake: mined in block \d+/);
    const stakedAfter = await publicClient.readContract({ address: net.chain.addresses.staking, abi: stakingAbi, functionName: "stakeOf", args: [node.address] });
    expect(stakedAfter - stakedBefore).toBe(parseUnits("100", 18));
    // The page's balances were read again after the transaction was mined.
    await page.locator('[data-testid="staked"]', { hasText: "100.0000 VIDYA" }).waitFor();
    await screenshot(page, "wallet");
  });

  it("funds a hosting bounty on a torrent and claims the epoch's soulbound badge", async () => {
    const { publicClient } = clients(net.chain);
    const infoHash = node.hosts[0]!.infoHash;
    await page.goto(`${net.trackerUrl}/wallet`);
    await page.fill('form[data-function="fund"] input[name="infoHash"]', infoHash);
    await page.fill('form[data-function="fund"] input[name="amount"]', "12.5");
    await page.click('form[data-function="fund"] button[type="submit"]');
    await page.locator('[data-status="bounty"][data-kind="ok"]').waitFor({ timeout: 60_000 });
    expect(await publicClient.readContract({ address: net.chain.addresses.bounties, abi: hostingBountiesAbi, functionName: "bountyOf", args: [`0x${infoHash}`] })).toBe(parseUnits("12.5", 18));

    await page.selectOption('form[data-action="badge"] select', String(epoch.epoch));
    await page.click('form[data-action="badge"] button[type="submit"]');
    await page.locator('[data-status="badge"][data-kind="ok"]').waitFor({ timeout: 60_000 });
    expect(await publicClient.readContract({ address: net.chain.addresses.badges, abi: hostingBadgesAbi, functionName: "balanceOf", args: [node.address, BigInt(epoch.epoch)] })).toBe(1n);
  });

  it("shows a call the chain refuses as an error, and refuses a malformed amount before anything is sent", async () => {
    await page.goto(`${net.trackerUrl}/wallet`);
    await page.fill('form[data-function="requestUnstake"] input[name="amount"]', "1000000");
    await page.click('form[data-function="requestUnstake"] button[type="submit"]');
    const failed = page.locator('[data-status="unstake"][data-kind="error"]');
    await failed.waitFor({ timeout: 60_000 });
    expect(await failed.textContent()).toMatch(/Request unstake: /);
    await page.fill('form[data-function="stake"] input[name="amount"]', "12abc");
    expect(await page.$eval('form[data-function="stake"] input[name="amount"]', (i) => (i as HTMLInputElement).validity.patternMismatch)).toBe(true);
    await page.click('form[data-function="stake"] button[type="submit"]');
    // The browser keeps the form from submitting: no transaction, no status.
    expect(await page.textContent('[data-status="stake"]')).toBe("");
  });

  it("finds a torrent in the index and downloads its .torrent, whose announce URL carries the member's passkey", async () => {
    const wanted = node.hosts[0]!;
    await page.goto(`${net.trackerUrl}/`);
    await page.fill('form.filters input[name="q"]', wanted.name.split("-")[0]!);
    await page.selectOption('form.filters select[name="category"]', "games");
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL((u) => u.searchParams.get("category") === "games");
    await screenshot(page, "index");
    await page.click(`a[href="/torrents/${wanted.infoHash}"]`);
    await page.waitForURL(`**/torrents/${wanted.infoHash}`);
    expect(await page.textContent('[data-testid="info-hash"]')).toBe(wanted.infoHash);
    // The node proved it in the epoch: one replica; the bounty funded above is read from the chain.
    expect(await page.textContent('[data-testid="replicas"]')).toBe("1");
    expect(await page.textContent('[data-testid="bounty"]')).toBe("12.5000 VIDYA");
    await screenshot(page, "torrent");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="download"]')]);
    const meta = asDict(decode(readFileSync((await download.path())!)), "torrent");
    const announce = new TextDecoder().decode(asBytes(meta.announce, "announce"));
    await page.goto(`${net.trackerUrl}/me`);
    const passkey = await page.textContent('[data-testid="passkey"]');
    expect(passkey).toMatch(/^[0-9a-f]{32}$/);
    expect(announce).toBe(`${net.trackerUrl}/${passkey}/announce`);
    expect(download.suggestedFilename()).toBe(`${wanted.name}.torrent`);
  });

  it("uploads a private torrent, which waits in the curators' queue until one approves it into the index", async () => {
    const t = fixture(64 * 1024, 7, "browser-upload.bin");
    await page.goto(`${net.trackerUrl}/upload`);
    await page.setInputFiles('input[name="torrent"]', { name: "browser-upload.torrent", mimeType: "application/x-bittorrent", buffer: Buffer.from(t.torrent) });
    await page.selectOption('select[name="category"]', "data");
    await page.fill('textarea[name="description"]', "Uploaded from a browser test.");
    await page.fill('input[name="storageRoot"]', t.storageRoot);
    await screenshot(page, "upload");
    await page.click('form[data-testid="upload-form"] button[type="submit"]');
    await page.waitForURL(`**/torrents/${t.infoHash}?done=uploaded`);
    expect(await page.textContent('[data-testid="moderation-status"]')).toContain("pending");
    expect(await (await fetch(`${net.trackerUrl}/api/torrents/search?q=browser-upload`)).json()).toMatchObject({ total: 0 });

    // An admin makes the node's operator a curator; the site then shows the queue.
    const res = await fetch(`${net.trackerUrl}/admin/members/${node.address}`, { method: "POST", headers: { Authorization: `Bearer ${net.adminToken}`, "Content-Type": "application/json" }, body: JSON.stringify({ curator: true }) });
    expect(res.status).toBe(200);
    await page.goto(`${net.trackerUrl}/moderation`);
    await screenshot(page, "moderation");
    await page.click(`form[action="/moderation/${t.infoHash}"] button[value="approve"]`);
    await page.waitForURL("**/moderation?done=approved");
    expect(await (await fetch(`${net.trackerUrl}/api/torrents/search?q=browser-upload`)).json()).toMatchObject({ total: 1, torrents: [{ infoHash: t.infoHash, category: "data" }] });
  });

  it("shows the profile, makes an invite, and lets a new wallet join with it", async () => {
    await page.goto(`${net.trackerUrl}/me`);
    expect(await page.textContent('[data-testid="ratio"]')).toBeTruthy();
    await page.click('[data-testid="make-invite"]');
    await page.waitForURL("**/me?done=invite");
    await screenshot(page, "profile");
    const link = await page.getAttribute('a[href^="/join?invite="]', "href");
    expect(link).toMatch(/^\/join\?invite=[0-9a-f]{24}$/);

    const other = await contextWithWallet(browser, { key: generatePrivateKey(), rpcUrl: net.chain.rpcUrl, chainId: net.chain.chainId });
    try {
      const p = await other.newPage();
      await p.goto(`${net.trackerUrl}/signin?next=${encodeURIComponent(link!)}`);
      await p.click('button[data-action="signin"]');
      await p.waitForURL((u) => u.pathname === "/join");
      await screenshot(p, "join");
      await p.click('button[value="invite"]');
      await p.waitForURL("**/me?done=joined");
      expect(await p.textContent('[data-testid="passkey"]')).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await other.close();
    }
  });
});
