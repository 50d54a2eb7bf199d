// vidya get: download a torrent as a member through the tracker (passkey announce URL,
// no DHT), then check the payload against the index's storage root. With the member's wallet,
// it signs upload receipts for the nodes it received from (node/seed/receipts.ts) and submits
// them to the edge while downloading and at the end: those bytes pay the nodes that sent them.

import { resolve } from "node:path";
import { mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { isInfoHashHex, toHex } from "../../protocol/hex.ts";
import { RECEIPT_FLUSH_MS } from "../../protocol/params.ts";
import { TrackerApi } from "../api.ts";
import { loadConfig } from "../config.ts";
import { CliError } from "../errors.ts";
import { formatLog } from "../log.ts";
import { createClient, destroyClient, downloadTorrent } from "../seed/client.ts";
import { storageTreeOfPayload } from "../storage/payload.ts";
import { parseTorrent } from "../../protocol/torrent.ts";
import { formatBytes, type Ctx } from "./context.ts";
import { ProgressDisplay } from "./progress.ts";
import { ReceiptSigner, receiptSink } from "../seed/receipts.ts";
import { loadWallet, walletExists } from "../wallet.ts";

export async function get(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { out: { type: "string" } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new CliError("usage: vidya get <magnet-or-infohash> [--out DIR]");
  const infoHash = infoHashOf(positionals[0]!);
  const config = await loadConfig(ctx.home);
  if (!config.passkey) throw new CliError(`no passkey in ${ctx.home.config}: run "vidya join --tracker URL" first`);
  const out = resolve(values.out ?? ".");
  await mkdir(out, { recursive: true });
  const api = new TrackerApi(config.tracker);
  const file = await api.torrentFile(config.passkey, infoHash);
  const meta = parseTorrent(file);
  if (meta.infoHash !== infoHash) throw new CliError(`the tracker sent a torrent with info hash ${meta.infoHash}, not ${infoHash}`);
  ctx.log(`downloading ${meta.name} (${formatBytes(meta.length)}, ${meta.files.length} file(s)) to ${out}`);

  const client = await createClient({ port: 0 });
  const progress = new ProgressDisplay(process.stderr, { plainEveryMs: 2_000 });
  const receiptWarnings: string[] = [];
  const signer = await receiptSigner(ctx, api, infoHash, (m) => {
    receiptWarnings.push(m);
    progress.log(`warning: ${m}`);
  });
  let receipted = 0;
  let flushing: Promise<unknown> = Promise.resolve();
  const periodic = signer ? setInterval(() => (flushing = flushing.then(() => signer.flush())), RECEIPT_FLUSH_MS) : undefined;
  try {
    const torrent = await downloadTorrent(client, file, {
      path: out,
      onTorrent: (t) => signer?.attach(t),
      onWarning: (m) => progress.log(formatLog(`warning: ${m}`, ctx.json)),
      progressIntervalMs: process.stderr.isTTY ? 250 : 1_000,
      onProgress: (t) => progress.update([{ key: infoHash, label: meta.name, done: t.downloaded, total: t.length, speed: t.downloadSpeed, peers: t.numPeers }]),
    });
    if (!torrent.done) throw new CliError("download stopped before it was complete");
  } finally {
    if (periodic) clearInterval(periodic);
    if (signer) {
      await flushing;
      await signer.flush(true);
      receipted = signer.receipted();
    }
    progress.close();
    await destroyClient(client);
  }

  // webtorrent checked the v1 piece hashes; the storage root also ties the bytes to the index.
  let rootCheck: "verified" | "mismatch" | "unknown" = "unknown";
  try {
    const indexed = await api.torrent(infoHash);
    const tree = await storageTreeOfPayload(out, meta);
    rootCheck = toHex(tree.root) === indexed.storageRoot.toLowerCase() ? "verified" : "mismatch";
  } catch (e) {
    ctx.log(`warning: could not check the storage root: ${(e as Error).message}`);
  }
  if (rootCheck === "mismatch") throw new CliError(`${meta.name} downloaded, but its storage root differs from the index's`);
  const path = resolve(out, meta.name);
  ctx.say(`downloaded ${meta.name}: ${meta.length} bytes in ${path}${rootCheck === "verified" ? " (storage root verified)" : ""}`);
  if (signer) ctx.say(`upload receipts: signed for ${receipted} node(s) you received from${receiptWarnings.length ? ` (${receiptWarnings.length} not accepted: ${receiptWarnings[0]})` : ""}`);
  ctx.result({ infoHash, name: meta.name, path, bytes: meta.length, storageRoot: rootCheck, receiptedNodes: receipted });
}

/** The receipt signer of this download, or none without a wallet or a reachable chain id (a warning, never a failure). */
async function receiptSigner(ctx: Ctx, api: TrackerApi, infoHash: string, warn: (m: string) => void): Promise<ReceiptSigner | undefined> {
  if (!(await walletExists(ctx.home))) return undefined;
  try {
    const account = await loadWallet(ctx.home);
    const { chainId } = await api.chain();
    return new ReceiptSigner(infoHash, account, receiptSink(api, chainId), warn);
  } catch (e) {
    warn(`not signing upload receipts: ${(e as Error).message}`);
    return undefined;
  }
}

/** A 40-hex info hash, or the btih of a magnet link (hex or base32). */
export function infoHashOf(s: string): string {
  if (isInfoHashHex(s.toLowerCase())) return s.toLowerCase();
  if (s.startsWith("magnet:")) {
    const xt = new URL(s).searchParams.getAll("xt").find((x) => x.toLowerCase().startsWith("urn:btih:"));
    const h = xt?.slice("urn:btih:".length);
    if (h && isInfoHashHex(h.toLowerCase())) return h.toLowerCase();
    if (h && /^[A-Za-z2-7]{32}$/.test(h)) return toHex(base32Decode(h.toUpperCase()));
  }
  throw new CliError(`not an info hash or magnet link: ${s}`);
}

function base32Decode(s: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of s) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}
