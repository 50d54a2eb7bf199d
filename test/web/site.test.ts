// The members' site in real headless Chromium against the real network: anvil with the
// contracts, the worker in workerd, a seeding node that was challenged and paid. The page's
// wallet is the test wallet of support/browser.ts (a real key on the real chain).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Hex } from "viem";
import { LocalNetwork, type EpochInfo, type RunningNode } from "../../scripts/network/network.ts";
import { ROOT } from "../../scripts/network/chain.ts";
import { contextWithWallet, launchChromium, screenshot } from "./support/browser.ts";

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
    // A node is a member (it registered), so the site goes on to the profile page.
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
  });
});
