// The node home folder (docs/interfaces.md "Node home folder"): config.json, wallet.json,
// data/ and state.json under --home, $VIDYA_HOME or ~/.vidya.

import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_STORAGE_CAP_BYTES } from "../protocol/params.ts";
import { CliError } from "./errors.ts";

export type Role = "node" | "member";

export interface Config {
  tracker: string;
  port: number;
  storageCap: number;
  role: Role;
  /** Member passkey (secret: the file is mode 0600, never printed). */
  passkey?: string;
  /** Overrides the RPC URL the tracker advertises in GET /api/chain. */
  rpcUrl?: string;
  /**
   * What the member wants hosted whatever it pays: 40-hex info hashes and name patterns
   * (`*` any characters, `?` one; case-insensitive). node/hosting/plan.ts ranks these first.
   */
  interests: string[];
  /** Also fill the rest of the storage cap with the torrents that pay most per GB. */
  fill: boolean;
  /** Seconds between two plans of what to host (a plan also runs at start and on SIGHUP). */
  replanSeconds: number;
  /**
   * The local IP every connection to the tracker leaves from (node/net/bound-fetch.ts): the
   * edge sees the node there. Unset: the system's choice.
   */
  bindAddress?: string;
  /**
   * Map the node's port on the home router (NAT-PMP, then UPnP-IGD; node/nat/). Unset: on,
   * unless the tracker is on this machine (node/nat/check.ts natEnabled).
   */
  nat?: boolean;
}

export const DEFAULT_PORT = 6881;
export const DEFAULT_REPLAN_SECONDS = 600;

export interface Home {
  dir: string;
  config: string;
  wallet: string;
  data: string;
  state: string;
}

export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): Home {
  const dir = resolve(flag ?? env.VIDYA_HOME ?? join(homedir(), ".vidya"));
  return { dir, config: join(dir, "config.json"), wallet: join(dir, "wallet.json"), data: join(dir, "data"), state: join(dir, "state.json") };
}

export function normaliseTracker(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError(`not a tracker URL: ${url}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new CliError(`tracker URL must be http(s): ${url}`);
  return u.origin + u.pathname.replace(/\/+$/, "");
}

export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(`${path} is not valid JSON`);
  }
}

/** Writes through a temporary file so a crash never leaves half a file; `secret` sets mode 0600. */
export async function writeJsonFile(path: string, value: unknown, secret = false): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + "\n", { mode: secret ? 0o600 : 0o644 });
  if (secret) await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export async function loadConfig(home: Home): Promise<Config> {
  const c = await readJsonFile<Partial<Config>>(home.config);
  if (!c) throw new CliError(`no config in ${home.dir}: run "vidya node init --tracker URL" or "vidya join --tracker URL" first`);
  if (!c.tracker) throw new CliError(`${home.config} has no tracker`);
  return {
    tracker: c.tracker,
    port: c.port ?? DEFAULT_PORT,
    storageCap: c.storageCap ?? DEFAULT_STORAGE_CAP_BYTES,
    role: c.role ?? "node",
    passkey: c.passkey,
    rpcUrl: c.rpcUrl,
    interests: Array.isArray(c.interests) ? c.interests.filter((x): x is string => typeof x === "string") : [],
    fill: c.fill ?? true,
    replanSeconds: typeof c.replanSeconds === "number" && c.replanSeconds > 0 ? c.replanSeconds : DEFAULT_REPLAN_SECONDS,
    ...(typeof c.bindAddress === "string" && c.bindAddress ? { bindAddress: c.bindAddress } : {}),
    ...(typeof c.nat === "boolean" ? { nat: c.nat } : {}),
  };
}

/** Config holds the member passkey, so it is always written with mode 0600. */
export async function saveConfig(home: Home, config: Config): Promise<void> {
  await mkdir(home.dir, { recursive: true, mode: 0o700 });
  await writeJsonFile(home.config, config, true);
}

export async function ensureHome(home: Home): Promise<void> {
  await mkdir(home.dir, { recursive: true, mode: 0o700 });
  await mkdir(home.data, { recursive: true });
}
