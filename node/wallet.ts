// The node's or member's key: wallet.json, mode 0600, never printed (docs/interfaces.md).

import { open, stat } from "node:fs/promises";
import type { PrivateKeyAccount } from "viem/accounts";
import type { Address, Hex } from "viem";
import { readJsonFile, type Home } from "./config.ts";
import { CliError } from "./errors.ts";

export async function walletExists(home: Home): Promise<boolean> {
  try {
    await stat(home.wallet);
    return true;
  } catch {
    return false;
  }
}

/** Creates wallet.json; refuses to overwrite one (O_EXCL), since losing a key loses its stake. */
export async function createWallet(home: Home): Promise<PrivateKeyAccount> {
  const { generatePrivateKey, privateKeyToAccount } = await accounts();
  const privateKey = generatePrivateKey();
  let fh;
  try {
    fh = await open(home.wallet, "wx", 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new CliError(`a wallet already exists at ${home.wallet}; refusing to overwrite it`);
    throw e;
  }
  try {
    // The address beside the key lets `node status` name the wallet without loading secp256k1.
    await fh.writeFile(JSON.stringify({ privateKey, address: privateKeyToAccount(privateKey).address }, null, 2) + "\n");
    await fh.chmod(0o600);
  } finally {
    await fh.close();
  }
  return privateKeyToAccount(privateKey);
}

export async function loadWallet(home: Home): Promise<PrivateKeyAccount> {
  const w = await readJsonFile<{ privateKey?: string }>(home.wallet);
  if (!w) throw new CliError(`no wallet in ${home.dir}: run "vidya node init --tracker URL" first`);
  if (typeof w.privateKey !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(w.privateKey)) throw new CliError(`${home.wallet} does not hold a valid private key`);
  return (await accounts()).privateKeyToAccount(w.privateKey as Hex);
}

// secp256k1 is loaded when a key is used, not at every command's start-up.
const accounts = () => import("viem/accounts");

/**
 * The wallet's address, cheaply: the one written beside the key, else derived from the key.
 * For display only (status); whatever signs derives it from the key (loadWallet).
 */
export async function walletAddress(home: Home): Promise<Address> {
  const w = await readJsonFile<{ address?: string }>(home.wallet);
  if (typeof w?.address === "string" && /^0x[0-9a-fA-F]{40}$/.test(w.address)) return w.address as Address;
  return (await loadWallet(home)).address;
}

export async function loadOrCreateWallet(home: Home): Promise<{ account: PrivateKeyAccount; created: boolean }> {
  if (await walletExists(home)) return { account: await loadWallet(home), created: false };
  return { account: await createWallet(home), created: true };
}
