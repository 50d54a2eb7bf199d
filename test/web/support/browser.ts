// Real headless Chromium (Debian's, driven by playwright-core) and a test wallet for it.
//
// The wallet is the one named stand-in of these tests: a browser extension (MetaMask…)
// cannot be installed here, so the page gets an EIP-1193 provider (window.ethereum) whose
// requests are answered in Node by a viem account holding a real key on the real anvil:
// it signs (personal_sign) and sends transactions as a wallet would, and forwards every
// read to the chain. Nothing else is simulated.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createWalletClient, defineChain, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ROOT } from "../../../scripts/network/chain.ts";

export const SCREENSHOTS = join(ROOT, ".tmp", "screenshots");

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    // What a root sandbox needs, and no calls home (the machine has no network beyond loopback).
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export interface WalletOptions {
  key: Hex;
  rpcUrl: string;
  chainId: number;
  /**
   * The chain the wallet starts on, when not the site's (a newcomer's wallet on mainnet): until
   * the page adds the site's chain (wallet_addEthereumChain) the wallet does not know it and
   * refuses to switch with "Unrecognized chain ID" (code 4902), as MetaMask does.
   */
  startOnChainId?: number;
}

/** A browser context whose pages see `window.ethereum` backed by `key` on the local chain. */
export async function contextWithWallet(browser: Browser, w: WalletOptions): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1180, height: 900 } });
  const account = privateKeyToAccount(w.key);
  const chain = defineChain({ id: w.chainId, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [w.rpcUrl] } } });
  const wallet = createWalletClient({ account, chain, transport: http(w.rpcUrl) });
  let id = 0;
  let current = w.startOnChainId ?? w.chainId;
  const known = new Set([current]);
  await context.exposeFunction("__vidyaWalletRequest", async (method: string, params: unknown[]) => {
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [account.address];
      case "eth_chainId":
        return `0x${current.toString(16)}`;
      case "wallet_switchEthereumChain": {
        const wanted = Number((params[0] as { chainId: string }).chainId);
        if (!known.has(wanted)) throw new Error(`Unrecognized chain ID ${wanted} (4902): add it first`);
        current = wanted;
        return null;
      }
      case "wallet_addEthereumChain": {
        const p = params[0] as { chainId: string; rpcUrls: string[] };
        const wanted = Number(p.chainId);
        // The only other chain this wallet can reach is the real one, at the RPC the page names.
        if (wanted !== w.chainId || p.rpcUrls[0] !== w.rpcUrl) throw new Error(`the test wallet cannot add chain ${wanted} at ${p.rpcUrls[0]}`);
        known.add(wanted);
        return null;
      }
      case "personal_sign":
        return account.signMessage({ message: { raw: params[0] as Hex } });
      case "eth_sendTransaction": {
        if (current !== w.chainId) throw new Error(`the wallet is on chain ${current}: switch to ${w.chainId} first`);
        const tx = params[0] as { to: Hex; data?: Hex; value?: Hex };
        return wallet.sendTransaction({ to: tx.to, data: tx.data, value: tx.value ? BigInt(tx.value) : undefined });
      }
      default: {
        const res = await fetch(w.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }) });
        const body = (await res.json()) as { result?: unknown; error?: { message: string } };
        if (body.error) throw new Error(body.error.message);
        return body.result;
      }
    }
  });
  await context.addInitScript(() => {
    const bridge = (window as unknown as { __vidyaWalletRequest: (m: string, p: unknown[]) => Promise<unknown> }).__vidyaWalletRequest;
    (window as unknown as { ethereum: unknown }).ethereum = {
      isVidyaTestWallet: true,
      request: ({ method, params }: { method: string; params?: unknown[] }) => bridge(method, params ?? []),
      on() {},
      removeListener() {},
    };
  });
  return context;
}

/** Saves a full-page screenshot as .tmp/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
