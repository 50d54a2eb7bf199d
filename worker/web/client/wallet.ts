// The wallet the page talks to: an EIP-1193 provider injected as window.ethereum (MetaMask,
// Rabby, Frame… or the test wallet of the browser tests). Everything signs and sends through
// it; the site never sees a key. Plain JSON-RPC requests keep the bundle small: viem is used
// only to encode and decode calls.

import type { Address, EIP1193Provider, Hex } from "viem";

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

export class WalletError extends Error {
  override name = "WalletError";
}

export function provider(): EIP1193Provider {
  if (!window.ethereum) throw new WalletError("No wallet found: install a browser wallet extension (MetaMask, Rabby, Frame…), which holds your key and signs for you, then reload. The wallet page says more.");
  return window.ethereum;
}

/** The account the wallet lets us use, after asking. */
export async function connect(): Promise<Address> {
  const accounts = (await provider().request({ method: "eth_requestAccounts" })) as Address[];
  const account = accounts[0];
  if (!account) throw new WalletError("The wallet shared no account.");
  return account;
}

/** Asks the wallet to switch to the site's chain when it is on another one. */
export async function ensureChain(id: number): Promise<void> {
  const current = Number(await provider().request({ method: "eth_chainId" }));
  if (current === id) return;
  try {
    await switchChain(id);
  } catch {
    throw new WalletError(`Switch your wallet to chain ${id} and try again (it is on ${current}).`);
  }
}

/** EIP-3326 switch; a wallet that does not know the chain (4902) is first given it (EIP-3085). */
export async function switchChain(id: number, add?: { name: string; rpcUrl: string }): Promise<void> {
  const chainId = `0x${id.toString(16)}`;
  try {
    await provider().request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  } catch (e) {
    const unknownChain = (e as { code?: number }).code === 4902 || /unrecognized|unknown|no chain/i.test(String((e as Error).message));
    if (!unknownChain || !add?.rpcUrl) throw e;
    await provider().request({ method: "wallet_addEthereumChain", params: [{ chainId, chainName: add.name, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: [add.rpcUrl] }] } as never);
    await provider().request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  }
}

let rpcId = 0;

/**
 * A read-only JSON-RPC call: through the wallet when there is one, else through the site's
 * public RPC URL (the page names it).
 */
export async function rpc<T>(method: string, params: unknown[], rpcUrl = ""): Promise<T> {
  if (window.ethereum) return (await window.ethereum.request({ method, params } as never)) as T;
  if (!rpcUrl) throw new WalletError("No wallet and no public RPC to read the chain with.");
  const res = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new WalletError(body.error.message);
  return body.result as T;
}

export function ethCall(to: Address, data: Hex, rpcUrl = ""): Promise<Hex> {
  return rpc<Hex>("eth_call", [{ to, data }, "latest"], rpcUrl);
}

export type { Address, Hex };
