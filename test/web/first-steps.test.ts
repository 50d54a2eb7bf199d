// A newcomer's first steps on the site, in real headless Chromium against the real network
// (anvil, the worker in workerd, Uniswap's own contracts): a signed-out visitor finds what Vidya
// is and how to join; a wallet with nothing is led through every empty state (no wallet, wrong
// network, no ETH, no VIDYA); a fresh wallet with ETH only buys, stakes, joins and downloads a
// .torrent without leaving the site.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
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
      expect(await intro.textContent()).toMatch(/What Vidya is[\s\S]*How to join[\s\S]*invite[\s\S]*stake 100\.0000 VIDYA/);
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

  it("leads an empty wallet on another chain through switching, gas from the dev faucet, and the VIDYA it lacks", async () => {
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
      await page.locator('[data-status="switch-network"][data-kind="ok"]').waitFor();
      await page.locator('[data-step="sign-in"]').waitFor({ state: "visible" });
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
      expect(await noVidya.textContent()).toMatch(/Get VIDYA[\s\S]*you need 100\.0000 VIDYA more/);
      await screenshot(page, "wallet-no-vidya");

      // Joining without the stake says what is missing in VIDYA, never in wei.
      await page.goto(`${net.trackerUrl}/join`);
      await page.click('button[value="stake"]');
      const refused = page.locator('.notice.error');
      await refused.waitFor();
      expect(await refused.textContent()).toContain("access requires a stake of at least 100.0000 VIDYA (this account has 0.0000 VIDYA staked)");
      expect(await refused.textContent()).not.toMatch(/[0-9]{18}/);
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
