// A newcomer's first steps on the site, in real headless Chromium against the real network
// (anvil, the worker in workerd, Uniswap's own contracts): a signed-out visitor finds what Vidya
// is and how to join; a wallet with nothing is led through every empty state (no wallet, wrong
// network, no ETH, no VIDYA); a fresh wallet with ETH only buys, stakes, joins and downloads a
// .torrent without leaving the site.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createTestClient, erc20Abi, http } from "viem";
import { foundry } from "viem/chains";
import { hostingBountiesAbi, stakingAbi } from "../../contracts/abi.ts";
import { asBytes, asDict, decode } from "../../protocol/bencode.ts";
import { ACCESS_STAKE } from "../../protocol/params.ts";
import { clients } from "../../scripts/network/chain.ts";
import { LocalNetwork } from "../../scripts/network/network.ts";
import { ROOT } from "../../scripts/network/chain.ts";
import { contextWithWallet, launchChromium, screenshot } from "./support/browser.ts";

describe("a newcomer's first steps on the site", () => {
  let net: LocalNetwork;
  let browser: Browser;
  const runDir = join(ROOT, ".vidya", `web-first-steps-${process.pid}`);

  beforeAll(async () => {
    net = await LocalNetwork.start({ dir: runDir, datasetDir: join(ROOT, ".vidya", "dataset"), nodes: [] });
    browser = await launchChromium();
  });

  const chainClients = () => ({ publicClient: clients(net.chain).publicClient, testClient: createTestClient({ chain: foundry, mode: "anvil", transport: http(net.chain.rpcUrl) }) });

  afterAll(async () => {
    await browser?.close();
    await net?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  it("tells a signed-out visitor without a wallet what Vidya is, how to join, and what to install (finding: no Join link while signed out)", async () => {
    const context = await browser.newContext({ viewport: { width: 1180, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${net.trackerUrl}/`);
      const intro = page.locator('[data-testid="intro"]');
      expect(await intro.textContent()).toMatch(/What Vidya is[\s\S]*How to join[\s\S]*invite[\s\S]*stake 100\.0000 VIDYA and pay a join fee of 10\.0000 VIDYA/);
      await screenshot(page, "signed-out-index");
      await page.click('header nav a[href="/join"]');
      await page.waitForURL("**/join");
      expect(await page.getAttribute('[data-testid="join-signin"]', "href")).toBe("/signin?next=/join");
      expect(await page.textContent("main")).toContain("How to join");

      // No wallet: the wallet page says what to install and why, before anything else.
      await page.goto(`${net.trackerUrl}/wallet`);
      const step = page.locator('[data-first-steps] [data-step="no-wallet"]');
      await step.waitFor({ state: "visible" });
      expect(await step.textContent()).toMatch(/Install a browser wallet[\s\S]*your Ethereum address is your membership/);
      expect(await page.locator('[data-first-steps] [data-step="sign-in"]').isVisible()).toBe(false);
      await screenshot(page, "wallet-no-wallet");

      await page.goto(`${net.trackerUrl}/signin`);
      await page.click('button[data-action="signin"]');
      const failed = page.locator('[data-status="signin"][data-kind="error"]');
      await failed.waitFor();
      expect(await failed.textContent()).toMatch(/install a browser wallet extension/);
    } finally {
      await context.close();
    }
  });

  it("leads an empty wallet on another chain through switching, gas from the dev faucet, and the VIDYA it lacks, and warns when the wallet holds another account than the session (attack: signing from the wrong account)", async () => {
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    const context = await contextWithWallet(browser, { key, rpcUrl: net.chain.rpcUrl, chainId: net.chain.chainId, startOnChainId: 1 });
    try {
      const page = await context.newPage();
      await page.goto(`${net.trackerUrl}/wallet`);
      const wrong = page.locator('[data-step="wrong-network"]');
      await wrong.waitFor({ state: "visible" });
      expect(await wrong.textContent()).toMatch(/Switch your wallet to the local development chain \(anvil\)[\s\S]*chain id 31337[\s\S]*chain 1\b/);
      await screenshot(page, "wallet-wrong-network");
      // The wallet does not know the chain: the page adds it (EIP-3085) with the public RPC, then switches.
      await page.click('button[data-action="switch-network"]');
      await page.locator('[data-step="sign-in"]').waitFor({ state: "visible" });
      expect(await page.textContent('[data-status="switch-network"]')).toBe("Switched.");
      expect(await wrong.isVisible()).toBe(false);

      await page.goto(`${net.trackerUrl}/signin?next=/wallet`);
      await page.click('button[data-action="signin"]');
      await page.waitForURL((u) => u.pathname === "/join");
      await page.goto(`${net.trackerUrl}/wallet`);
      const noEth = page.locator('[data-step="no-eth"]');
      await noEth.waitFor({ state: "visible" });
      expect(await noEth.textContent()).toMatch(/Get ETH for gas[\s\S]*holds 0\.000000 ETH[\s\S]*dev faucet/);
      await screenshot(page, "wallet-no-eth");
      await page.click('[data-testid="faucet"]');
      await page.waitForURL("**/wallet?done=faucet");
      expect(await clients(net.chain).publicClient.getBalance({ address })).toBe(10n ** 18n);
      expect(await page.textContent('[data-testid="eth"]')).toBe("1.000000 ETH");
      const noVidya = page.locator('[data-step="no-vidya"]');
      await noVidya.waitFor({ state: "visible" });
      expect(await noVidya.textContent()).toMatch(/Get VIDYA[\s\S]*a stake of 100\.0000 VIDYA and a join fee of 10\.0000 VIDYA[\s\S]*you need 110\.0000 VIDYA more/);
      await screenshot(page, "wallet-no-vidya");

      // Joining without the stake says what is missing in VIDYA, never in wei; the page quotes the stake and the fee.
      await page.goto(`${net.trackerUrl}/join`);
      await page.click('button[value="stake"]');
      const refused = page.locator('.notice.error');
      await refused.waitFor();
      expect(await refused.textContent()).toContain("access requires a stake of at least 100.0000 VIDYA (have 0.0000 VIDYA) and a join fee of 10.0000 VIDYA");
      expect(await page.textContent('[data-testid="join-cost"]')).toMatch(/stake 100\.0000 VIDYA and pay a join fee of 10\.0000 VIDYA \(110\.0000 VIDYA in all, ≈ 0\.01[01][0-9]* ETH\)/);
      expect(await refused.textContent()).not.toMatch(/[0-9]{18}/);

      // The same session in a browser whose wallet holds another account: the page says so first.
      const other = await contextWithWallet(browser, { key: generatePrivateKey(), rpcUrl: net.chain.rpcUrl, chainId: net.chain.chainId });
      try {
        await other.addCookies(await context.cookies());
        const p = await other.newPage();
        await p.goto(`${net.trackerUrl}/wallet`);
        const wrongAccount = p.locator('[data-step="wrong-account"]');
        await wrongAccount.waitFor({ state: "visible" });
        expect(await wrongAccount.textContent()).toContain(address.toLowerCase());
        expect(await p.locator('[data-step="no-vidya"]').isVisible()).toBe(false);
      } finally {
        await other.close();
      }
    } finally {
      await context.close();
    }
  });

  it("takes a fresh wallet holding only ETH from the index to a downloaded .torrent: buy, stake, pay the join fee and join in one transaction, then download", async () => {
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    const { publicClient, testClient } = chainClients();
    await testClient.setBalance({ address, value: 10n ** 18n });
    const context = await contextWithWallet(browser, { key, rpcUrl: net.chain.rpcUrl, chainId: net.chain.chainId });
    try {
      const page = await context.newPage();
      await page.goto(`${net.trackerUrl}/`);
      // The stake and the join fee, and both in ETH at the pool's average price (0.0001 ETH a VIDYA at the opening price).
      expect(await page.textContent('[data-testid="intro"]')).toMatch(/stake 100\.0000 VIDYA and pay a join fee of 10\.0000 VIDYA \(110\.0000 VIDYA in all, ≈ 0\.01[01][0-9]* ETH\)/);
      await page.click('[data-testid="join-link"]');
      await page.waitForURL("**/join");
      await page.click('[data-testid="join-signin"]');
      await page.waitForURL("**/signin?next=/join");
      await page.click('button[data-action="signin"]');
      await page.waitForURL((u) => u.pathname === "/join");
      await page.click('[data-testid="stake-to-join-link"]');
      await page.waitForURL("**/wallet#stake-to-join");
      const form = 'form[data-kind="stake"]';
      const quote = page.locator('[data-quote="stake"][data-kind="ok"]');
      await quote.waitFor();
      expect(await page.textContent('[data-testid="stake-to-join-need"]')).toBe("110.0000 VIDYA");
      expect(await quote.textContent()).toMatch(/^Buys 110\.0000 VIDYA for ≈ 0\.0[0-9]+ ETH · price impact [0-9.]+% · sends at most 0\.0[0-9]+ ETH/);
      await screenshot(page, "stake-to-join");
      const ethBefore = await publicClient.getBalance({ address });
      await page.click(`${form} button[type="submit"]`);
      // One transaction swaps, stakes and pays the join fee; the page then joins and lands on the profile with the passkey.
      await page.waitForURL("**/me?done=joined", { timeout: 60_000 });
      expect(await page.textContent('[data-testid="passkey"]')).toMatch(/^[0-9a-f]{32}$/);
      expect(await publicClient.readContract({ address: net.chain.addresses.staking, abi: stakingAbi, functionName: "stakeOf", args: [address] })).toBe(ACCESS_STAKE);
      expect(await publicClient.readContract({ address: net.chain.addresses.staking, abi: stakingAbi, functionName: "joinFeePaidOf", args: [address] })).toBe(ACCESS_STAKE / 10n);
      const spent = ethBefore - (await publicClient.getBalance({ address }));
      // What the swap took is about the quote (0.011 ETH and the pool's fee) plus gas; the unspent rest came back.
      expect(spent > 11n * 10n ** 15n && spent < 12n * 10n ** 15n).toBe(true);

      const wanted = net.dataset[0]!;
      await page.goto(`${net.trackerUrl}/torrents/${wanted.infoHash}`);
      const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="download"]')]);
      const meta = asDict(decode(readFileSync((await download.path())!)), "torrent");
      await page.goto(`${net.trackerUrl}/me`);
      const passkey = await page.textContent('[data-testid="passkey"]');
      expect(new TextDecoder().decode(asBytes(meta.announce, "announce"))).toBe(`${net.trackerUrl}/${passkey}/announce`);
    } finally {
      await context.close();
    }
  });

  it("buys and sells VIDYA on the wallet page with a quote, price impact and an enforced minimum, and buys hosting from a torrent page", async () => {
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    const { publicClient, testClient } = chainClients();
    await testClient.setBalance({ address, value: 10n ** 18n });
    const context = await contextWithWallet(browser, { key, rpcUrl: net.chain.rpcUrl, chainId: net.chain.chainId });
    try {
      const page = await context.newPage();
      await page.goto(`${net.trackerUrl}/signin?next=/wallet`);
      await page.click('button[data-action="signin"]');
      await page.waitForURL((u) => u.pathname === "/join");
      await page.goto(`${net.trackerUrl}/wallet`);
      const vidya = () => publicClient.readContract({ address: net.chain.addresses.token, abi: erc20Abi, functionName: "balanceOf", args: [address] });

      await page.fill('form[data-kind="buy"] input[name="amount"]', "0.02");
      const quote = page.locator('[data-quote="buy"][data-kind="ok"]');
      await quote.waitFor();
      expect(await quote.textContent()).toMatch(/^You receive ≈ 19[0-9]\.[0-9]{4} VIDYA · price impact [0-9.]+% · minimum received 19[0-9]\.[0-9]{4} VIDYA\.$/);
      await screenshot(page, "wallet-buy");
      await page.click('form[data-kind="buy"] button[type="submit"]');
      await page.locator('[data-status="buy"][data-kind="ok"]').waitFor({ timeout: 60_000 });
      expect(await page.textContent('[data-status="buy"]')).toMatch(/^Buy VIDYA: mined in block \d+/);
      const bought = await vidya();
      const bound = BigInt((await page.getAttribute('form[data-kind="buy"]', "data-bound"))!);
      expect(bought >= bound && bound > 190n * 10n ** 18n).toBe(true);

      // Selling: approve, then swap and unwrap to ETH in one router multicall.
      await page.fill('form[data-kind="sell"] input[name="amount"]', "50");
      await page.locator('[data-quote="sell"][data-kind="ok"]').waitFor();
      await page.click('form[data-kind="sell"] button[type="submit"]');
      await page.locator('[data-status="sell"][data-kind="ok"]').waitFor({ timeout: 60_000 });
      expect(await vidya()).toBe(bought - 50n * 10n ** 18n);

      const wanted = net.dataset[1]!;
      await page.goto(`${net.trackerUrl}/torrents/${wanted.infoHash}`);
      await page.fill('form[data-kind="bounty"] input[name="amount"]', "0.005");
      await page.locator('[data-quote="bounty"][data-kind="ok"]').waitFor();
      expect(await page.textContent('[data-quote="bounty"]')).toMatch(/all of it added to the bounty/);
      await screenshot(page, "buy-hosting");
      await page.click('form[data-kind="bounty"] button[type="submit"]');
      await page.locator('[data-status="bounty"][data-kind="ok"]').waitFor({ timeout: 60_000 });
      const bounty = await publicClient.readContract({ address: net.chain.addresses.bounties, abi: hostingBountiesAbi, functionName: "bountyOf", args: [`0x${wanted.infoHash}`] });
      expect(bounty >= BigInt((await page.getAttribute('form[data-kind="bounty"]', "data-bound"))!)).toBe(true);
      expect(bounty > 40n * 10n ** 18n).toBe(true);
    } finally {
      await context.close();
    }
  });

  it("gives test ETH only to a signed-in account on the local chain (attack: faucet drained without a session)", async () => {
    const res = await fetch(`${net.trackerUrl}/faucet`, { method: "POST", headers: { origin: net.trackerUrl }, redirect: "manual" });
    expect(res.status).toBe(401);
    const crossSite = await fetch(`${net.trackerUrl}/faucet`, { method: "POST", headers: { origin: "https://evil.example" }, redirect: "manual" });
    expect(crossSite.status).toBe(403);
  });
});
