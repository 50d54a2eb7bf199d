// vidya node init: a new node home with its wallet, config and data folder. Run again on a
// home it reconfigures: the flags given replace their settings, the wallet and the rest stay.

import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { DEFAULT_STORAGE_CAP_BYTES } from "../../protocol/params.ts";
import { parseSize } from "../../protocol/format.ts";
import { DEFAULT_PORT, DEFAULT_REPLAN_SECONDS, ensureHome, normaliseTracker, readJsonFile, saveConfig, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import { loadOrCreateWallet } from "../wallet.ts";
import { formatBytes, type Ctx } from "./context.ts";
import { natEnabled } from "../nat/check.ts";

export async function nodeInit(ctx: Ctx, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { tracker: { type: "string" }, port: { type: "string" }, "storage-cap": { type: "string" }, bind: { type: "string" }, fill: { type: "boolean" }, nat: { type: "boolean" } },
    allowNegative: true,
    strict: true,
  });
  const previous = await readJsonFile<Partial<Config>>(ctx.home.config);
  const trackerFlag = values.tracker ?? previous?.tracker;
  if (!trackerFlag) throw new CliError("node init needs --tracker URL");
  const tracker = normaliseTracker(trackerFlag);
  const port = values.port !== undefined ? parsePort(values.port) : (previous?.port ?? DEFAULT_PORT);
  const storageCap = values["storage-cap"] !== undefined ? parseSizeFlag(values["storage-cap"], "--storage-cap") : (previous?.storageCap ?? DEFAULT_STORAGE_CAP_BYTES);
  if (values.bind !== undefined && values.bind !== "" && !isIP(values.bind)) throw new CliError(`--bind takes an IP address of this machine, got ${values.bind}`);
  const fill = values.fill ?? previous?.fill ?? true;
  await ensureHome(ctx.home);
  // A home's key is never replaced: losing it loses the node's bond and earnings.
  const { account, created } = await loadOrCreateWallet(ctx.home);
  const config: Config = { interests: [], replanSeconds: DEFAULT_REPLAN_SECONDS, ...previous, tracker, port, storageCap, fill, role: "node" };
  if (values.nat !== undefined) config.nat = values.nat;
  if (values.bind === "") delete config.bindAddress; // --bind "" goes back to the system's choice
  else if (values.bind !== undefined) config.bindAddress = values.bind;
  await saveConfig(ctx.home, config);
  const changed = previous ? (["tracker", "port", "storageCap", "fill", "bindAddress", "nat"] as const).filter((k) => previous[k] !== config[k]) : [];
  ctx.say(previous ? `node home ${ctx.home.dir} reconfigured${changed.length ? ` (${changed.join(", ")} changed)` : " (nothing changed)"}` : `node home ${ctx.home.dir}`);
  ctx.say(`wallet   ${account.address}${created ? "" : " (kept)"}`);
  ctx.say(`tracker  ${tracker}`);
  ctx.say(`port     ${port}${config.bindAddress ? ` (connections leave from ${config.bindAddress})` : ""}`);
  ctx.say(`nat      ${natEnabled(config.nat, tracker) ? "maps the port on the router (NAT-PMP, UPnP); --no-nat turns it off" : config.nat === false ? "off (--nat turns it on)" : "off: the tracker is on this machine (--nat turns it on)"}`);
  ctx.say(`storage  ${formatBytes(storageCap)} in ${ctx.home.data}${fill ? ", filled with the torrents that pay most per GB" : ""}`);
  if (previous) ctx.say(`a running node takes the new settings when restarted ("vidya node start")`);
  else ctx.say(`say what you want hosted with "vidya node want <infohash|name pattern>", then run "vidya node start"`);
  ctx.result({ home: ctx.home.dir, address: account.address, tracker, port, storageCap, fill, bindAddress: config.bindAddress ?? null, nat: natEnabled(config.nat, tracker), reconfigured: previous !== undefined, changed });
}

export function parsePort(s: string): number {
  const n = Number(s);
  if (!/^[0-9]+$/.test(s) || !Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`not a port number: ${s}`);
  return n;
}

/** A size flag as people write it (5GB, 5 GiB, 500MB, bytes): protocol/format.ts parseSize. */
export function parseSizeFlag(s: string, what: string): number {
  let n: number;
  try {
    n = parseSize(s);
  } catch (e) {
    throw new CliError(`${what}: ${(e as Error).message}`, 2);
  }
  if (n <= 0) throw new CliError(`${what} must be more than 0 bytes, got ${s}`, 2);
  return n;
}
