// vidya node init: a new node home with its wallet, config and data folder.

import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { DEFAULT_STORAGE_CAP_BYTES } from "../../protocol/params.ts";
import { DEFAULT_PORT, DEFAULT_REPLAN_SECONDS, ensureHome, normaliseTracker, readJsonFile, saveConfig, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import { createWallet } from "../wallet.ts";
import { formatBytes, type Ctx } from "./context.ts";

export async function nodeInit(ctx: Ctx, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { tracker: { type: "string" }, port: { type: "string" }, "storage-cap": { type: "string" }, bind: { type: "string" }, fill: { type: "boolean", default: true } },
    allowNegative: true,
    strict: true,
  });
  if (!values.tracker) throw new CliError("node init needs --tracker URL");
  const port = values.port === undefined ? DEFAULT_PORT : parsePort(values.port);
  const storageCap = values["storage-cap"] === undefined ? DEFAULT_STORAGE_CAP_BYTES : parsePositiveInt(values["storage-cap"], "--storage-cap");
  const tracker = normaliseTracker(values.tracker);
  await ensureHome(ctx.home);
  const account = await createWallet(ctx.home); // refuses to overwrite
  const previous = await readJsonFile<Partial<Config>>(ctx.home.config);
  const fill = values.fill !== false;
  if (values.bind !== undefined && !isIP(values.bind)) throw new CliError(`--bind takes an IP address of this machine, got ${values.bind}`);
  const config: Config = { interests: [], replanSeconds: DEFAULT_REPLAN_SECONDS, ...previous, tracker, port, storageCap, fill, role: "node", ...(values.bind ? { bindAddress: values.bind } : {}) };
  await saveConfig(ctx.home, config);
  ctx.say(`node home ${ctx.home.dir}`);
  ctx.say(`wallet   ${account.address}`);
  ctx.say(`tracker  ${tracker}`);
  ctx.say(`port     ${port}`);
  ctx.say(`storage  ${formatBytes(storageCap)} in ${ctx.home.data}${fill ? ", filled with the torrents that pay most per GB" : ""}`);
  ctx.say(`say what you want hosted with "vidya node want <infohash|name pattern>", then run "vidya node start"`);
  ctx.result({ home: ctx.home.dir, address: account.address, tracker, port, storageCap, fill });
}

export function parsePort(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`not a port number: ${s}`);
  return n;
}

export function parsePositiveInt(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`${what} must be a positive integer, got ${s}`);
  return n;
}
