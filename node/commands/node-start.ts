// vidya node start: register, seed what is on disk (and --host torrents), answer
// challenges, report the hosted subset; runs until SIGINT or SIGTERM.

import { parseArgs } from "node:util";
import { isInfoHashHex } from "../../protocol/hex.ts";
import { TrackerApi } from "../api.ts";
import { ensureHome, loadConfig, writeJsonFile } from "../config.ts";
import { CliError } from "../errors.ts";
import { startHosting } from "../seed/host.ts";
import { loadWallet } from "../wallet.ts";
import { formatBytes, type Ctx } from "./context.ts";

export async function nodeStart(ctx: Ctx, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { host: { type: "string", multiple: true }, port: { type: "string" } }, strict: true });
  const host = (values.host ?? []).map((h) => {
    const ih = h.toLowerCase();
    if (!isInfoHashHex(ih)) throw new CliError(`--host takes a 40-hex-digit info hash, got ${h}`);
    return ih;
  });
  const config = await loadConfig(ctx.home);
  const account = await loadWallet(ctx.home);
  await ensureHome(ctx.home);
  const api = new TrackerApi(config.tracker);
  const port = values.port !== undefined ? Number(values.port) : config.port;
  const node = await startHosting({ api, account, dataDir: ctx.home.data, port, storageCap: config.storageCap, host, log: ctx.log });
  const hostedBytes = node.hosted.reduce((s, h) => s + h.length, 0);
  const state = {
    address: node.address,
    tracker: config.tracker,
    port: node.port,
    endpoint: node.endpoint,
    hosted: node.hosted,
    hostedBytes,
    startedAt: new Date().toISOString(),
    pid: process.pid,
  };
  await writeJsonFile(ctx.home.state, state);
  ctx.say(`node ${node.address} listening on port ${node.port}, seeding ${node.hosted.length} torrent(s) (${formatBytes(hostedBytes)})`);
  for (const h of node.hosted) ctx.say(`  ${h.infoHash}  ${h.name}  ${formatBytes(h.length)}`);
  ctx.say("press Ctrl-C to stop");
  ctx.result(state);
  const sig = await ctx.stopSignal();
  ctx.log(`${sig}: stopping`);
  await node.stop();
  await writeJsonFile(ctx.home.state, { ...state, stoppedAt: new Date().toISOString(), pid: undefined });
}
