// The upload page in real headless Chromium against the real edge (the worker in workerd):
// the page computes a v1 torrent's storage root from the member's local files with WebCrypto,
// after checking them against the .torrent's pieces, and it is the root `vidya torrent create`
// printed for the same folder. The page's wallet is the test wallet of support/browser.ts.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { TrackerApi } from "../../node/api.ts";
import { startTestEdge, type TestEdge } from "../../node/testing/edge.ts";
import { contextWithWallet, launchChromium, screenshot } from "./support/browser.ts";
import { ROOT } from "../../scripts/network/chain.ts";

const VIDYA = join(import.meta.dirname, "..", "..", "bin", "vidya");
const run = promisify(execFile);
const gen = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);

/** A folder of files, and the .torrent `vidya torrent create` makes of it with what it printed. */
async function made(dir: string, name: string, files: [string, Uint8Array][], home: string, flags: string[] = []) {
  const folder = join(dir, name);
  for (const [p, d] of files) {
    mkdirSync(join(folder, p, ".."), { recursive: true });
    writeFileSync(join(folder, p), d);
  }
  const out = join(dir, `${name}.torrent`);
  const { stdout } = await run(VIDYA, ["--home", home, "--json", "torrent", "create", folder, "--out", out, "--piece-length", "32KiB", ...flags]);
  return { folder, torrent: out, files: files.map(([p]) => join(folder, p)), cli: JSON.parse(stdout) as { infoHash: string; storageRoot: string; version: string } };
}

describe("the upload page's storage root, in Chromium", () => {
  let edge: TestEdge;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let home: string;

  beforeAll(async () => {
    edge = await startTestEdge("web-upload");
    home = join(edge.dir, "cli");
    const { chainId } = (await (await fetch(`${edge.url}/api/chain`)).json()) as { chainId: number };
    const key = generatePrivateKey();
    await new TrackerApi(edge.url).join(privateKeyToAccount(key), chainId, await edge.invite());
    browser = await launchChromium();
    // Sign-in needs only the wallet's account and signature: no chain behind this edge.
    context = await contextWithWallet(browser, { key, rpcUrl: "http://127.0.0.1:9", chainId });
    page = await context.newPage();
    await page.goto(`${edge.url}/signin`);
    await page.click('button[data-action="signin"]');
    await page.waitForURL((u) => u.pathname !== "/signin");
  });

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
  });

  it("computes from the chosen folder the storage root the CLI printed, checked piece by piece, and uploads it", async () => {
    const t = await made(edge.dir, "Retro Pack", [["README.txt", gen(20_000, 2)], ["disc/track01.bin", gen(300_000, 1)], ["disc/track02.bin", gen(70_001, 3)]], home);
    expect(t.cli.storageRoot).toMatch(/^[0-9a-f]{64}$/);
    await page.goto(`${edge.url}/upload`);
    await page.waitForSelector("html[data-ready=true]");
    await page.setInputFiles('input[name="torrent"]', t.torrent);
    await page.setInputFiles('input[data-payload="folder"]', t.folder);
    await page.locator('[data-status="storage-root"][data-kind="ok"]').waitFor();
    expect(await page.inputValue('input[name="storageRoot"]')).toBe(t.cli.storageRoot);
    expect(await page.getAttribute('form[data-action="upload"]', "data-verified")).toBe("true");
    expect(await page.getAttribute("progress[data-root-progress]", "value")).toBe(String(20_000 + 300_000 + 70_001));
    await screenshot(page, "upload-storage-root");
    await page.selectOption('select[name="category"]', "games");
    await page.click('form[data-action="upload"] button[type="submit"]');
    await page.waitForURL((u) => u.pathname === `/torrents/${t.cli.infoHash}`);
    const stored = (await (await fetch(`${edge.url}/api/torrents/${t.cli.infoHash}`)).json()) as { storageRoot: string; status: string };
    expect(stored).toMatchObject({ storageRoot: t.cli.storageRoot, status: "pending" });
  });

  it("cites only files that are in the repository (finding: the upload page cited a design file that is not in it)", async () => {
    await page.goto(`${edge.url}/upload`);
    const text = (await page.textContent("main"))!;
    const cited = [...text.matchAll(/[\w./-]+\.(?:md|ts)\b/g)].map((m) => m[0]);
    expect(cited).toEqual(expect.arrayContaining(["README.md", "protocol/merkle/storage-tree.ts"]));
    for (const file of cited) expect(existsSync(join(ROOT, file)), file).toBe(true);
  });

  it("gives no root and does not send the form for files that are not the torrent's (attack: a root of other bytes than the torrent's)", async () => {
    const t = await made(edge.dir, "Other Pack", [["a.bin", gen(50_000, 4)], ["b.bin", gen(40_000, 5)]], home);
    const forged = join(edge.dir, "forged");
    mkdirSync(forged, { recursive: true });
    const b = gen(40_000, 5);
    b[39_000]! ^= 1;
    writeFileSync(join(forged, "a.bin"), gen(50_000, 4));
    writeFileSync(join(forged, "b.bin"), b);
    await page.goto(`${edge.url}/upload`);
    await page.waitForSelector("html[data-ready=true]");
    await page.setInputFiles('input[name="torrent"]', t.torrent);
    await page.fill('input[name="storageRoot"]', "ab".repeat(32));
    await page.setInputFiles('input[data-payload="files"]', [join(forged, "a.bin"), join(forged, "b.bin")]);
    const status = page.locator('[data-status="storage-root"][data-kind="error"]');
    await status.waitFor();
    expect(await status.textContent()).toContain("not the torrent's");
    expect(await page.inputValue('input[name="storageRoot"]')).toBe("");
    await page.click('form[data-action="upload"] button[type="submit"]');
    await page.waitForTimeout(500);
    expect(new URL(page.url()).pathname).toBe("/upload");
    expect((await fetch(`${edge.url}/api/torrents/${t.cli.infoHash}`)).status).toBe(404);
  });

  it("checks a hybrid torrent's files against their BEP 52 pieces roots and asks for no storage root", async () => {
    const t = await made(edge.dir, "Hybrid Pack", [["x.bin", gen(100_000, 6)], ["y.bin", gen(5, 7)]], home, ["--hybrid"]);
    await page.goto(`${edge.url}/upload`);
    await page.waitForSelector("html[data-ready=true]");
    await page.setInputFiles('input[name="torrent"]', t.torrent);
    await page.setInputFiles('input[data-payload="files"]', t.files);
    const status = page.locator('[data-status="storage-root"][data-kind="ok"]');
    await status.waitFor();
    expect(await status.textContent()).toContain("BEP 52 pieces root");
    expect(await page.inputValue('input[name="storageRoot"]')).toBe("");
  });
});
