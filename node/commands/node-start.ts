// vidya node start: register, host what the plan takes (node/hosting/plan.ts: the interest
// list, then the tracker's offers, within the storage cap), answer challenges, report the
// hosted subset; runs until SIGINT or SIGTERM. Plans again every `replanSeconds`, on SIGHUP,
// and when config.json changes (`vidya node want` / `unwant`). state.json follows the node,
// so `vidya node status` can show it; progress and logs go to stderr.

import { watch, type FSWatcher } from "node:fs";
import { basename, join as joinPath } from "node:path";
import { parseArgs } from "node:util";
import { isInfoHashHex } from "../../protocol/hex.ts";
import { TrackerApi } from "../api.ts";
import { ensureHome, loadConfig, writeJsonFile } from "../config.ts";
import { CliError } from "../errors.ts";
import type { RunningNode } from "../seed/host.ts";
import { loadWallet } from "../wallet.ts";
import { installNetworkIdentity } from "../net/bound-fetch.ts";
import { formatBytes, type Ctx } from "./context.ts";
import { ProgressDisplay } from "./progress.ts";
import { formatLog } from "../log.ts";
import { checkRoomForCap, isDiskFull } from "../storage/free-space.ts";
import type { MappingFacts } from "../../protocol/net/reachability.ts";
import { checkReachability, natEnabled, type ReachabilityReport } from "../nat/check.ts";
import type { PortMapping } from "../nat/port-mapping.ts";

export async function nodeStart(ctx: Ctx, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { host: { type: "string", multiple: true }, port: { type: "string" }, nat: { type: "boolean" } }, allowNegative: true, strict: true });
  const host = (values.host ?? []).map((h) => {
    const ih = h.toLowerCase();
    if (!isInfoHashHex(ih)) throw new CliError(`--host takes a 40-hex-digit info hash, got ${h}`);
    return ih;
  });
  const config = await loadConfig(ctx.home);
  const account = await loadWallet(ctx.home);
  await ensureHome(ctx.home);
  // Registration and every announce leave from the bound address: the edge sees the node there.
  // VIDYA_DEV_LOCATION is the local network's stand-in for request.cf (ignored in production).
  installNetworkIdentity({ bindAddress: config.bindAddress, devLocation: process.env.VIDYA_DEV_LOCATION });
  // webtorrent's tracker client keeps the fetch it finds when first loaded: load it after.
  const { startHosting } = await import("../seed/host.ts");
  // A cap the disk cannot hold stops here, before the node promises to host anything.
  await checkRoomForCap(ctx.home.data, config.storageCap);
  const api = new TrackerApi(config.tracker);
  const port = values.port !== undefined ? Number(values.port) : config.port;
  const progress = new ProgressDisplay(process.stderr);
  const log = (line: string) => progress.log(formatLog(line, ctx.json));

  const startedAt = new Date().toISOString();
  let node: RunningNode | undefined;
  let writing: Promise<void> = Promise.resolve();
  let pendingWrite: ReturnType<typeof setTimeout> | undefined;
  const stateOf = (n: RunningNode, extra: Record<string, unknown> = {}) => ({
    address: n.address,
    tracker: config.tracker,
    port: n.port,
    endpoint: n.endpoint,
    hosted: n.hosted,
    hostedBytes: n.hosted.reduce((s, h) => s + h.length, 0),
    downloads: n.downloads(),
    plan: n.lastPlan(),
    startedAt,
    updatedAt: new Date().toISOString(),
    pid: process.pid,
    nat: natFacts,
    reachability,
    ...extra,
  });
  const writeState = (extra?: Record<string, unknown>) => {
    const n = node;
    if (!n) return writing;
    const state = stateOf(n, extra);
    writing = writing.then(() => writeJsonFile(ctx.home.state, state)).catch((e: Error) => {
      if (isDiskFull(e)) diskFull(`cannot write ${ctx.home.state}: ${e.message}`);
      else log(`warning: cannot write ${ctx.home.state}: ${e.message}`);
    });
    return writing;
  };
  // Coalesce bursts of changes into one write.
  const stateChanged = () => {
    if (pendingWrite) return;
    pendingWrite = setTimeout(() => {
      pendingWrite = undefined;
      void writeState();
    }, 200);
  };

  // A full disk stops the node cleanly: state.json keeps the last state it could write
  // (writes go through a temporary file, so a failed one leaves the old file whole).
  let diskFull: (message: string) => void = () => {};
  const fullDisk = new Promise<string>((resolve) => {
    diskFull = (message) => {
      log(`error: the disk is full (${message}); stopping the node. Free some space or lower the cap ("vidya node init --storage-cap SIZE"), then start it again`);
      process.exitCode = 1;
      resolve("disk full");
    };
  });

  // The port on the home router (NAT-PMP, UPnP-IGD), mapped before registering so the edge
  // records the outside port; renewed while running, deleted on a clean stop.
  const nat = natEnabled(values.nat ?? config.nat, config.tracker);
  let mapping: PortMapping | undefined;
  let natFacts: MappingFacts = { method: "off" };
  let reachability: ReachabilityReport | undefined;
  const mapPort = async (listening: number) => {
    if (!nat) return listening;
    const { mapPort: map } = await import("../nat/port-mapping.ts");
    mapping = await map({ port: listening, log });
    natFacts = mapping.facts;
    return mapping.facts.externalPort ?? listening;
  };

  try {
    node = await startHosting({
      api,
      account,
      dataDir: ctx.home.data,
      // Saved piece state beside data/: a restart seeds unchanged payloads without hashing them.
      stateDir: joinPath(ctx.home.dir, "resume"),
      port,
      storageCap: config.storageCap,
      interests: config.interests,
      host,
      fill: config.fill,
      replanMs: config.replanSeconds * 1000,
      log,
      onChange: stateChanged,
      onDiskFull: (message) => diskFull(message),
      mapPort,
    });
  } catch (e) {
    await mapping?.stop();
    throw e;
  }
  const running = node;
  await writeState();
  const hostedBytes = running.hosted.reduce((s, h) => s + h.length, 0);
  ctx.say(`node ${running.address} listening on port ${running.port}, seeding ${running.hosted.length} torrent(s) (${formatBytes(hostedBytes)}) of a ${formatBytes(config.storageCap)} cap`);
  for (const h of running.hosted) ctx.say(`  ${h.infoHash}  ${h.name}  ${formatBytes(h.length)}`);
  for (const p of running.lastPlan()?.selected.filter((x) => x.action === "fetch") ?? []) ctx.say(`  to download ${p.infoHash}  ${p.name}  ${formatBytes(p.length)}${p.wanted ? "  (wanted)" : ""}`);
  // The edge dials us back as a challenge would: say now whether challenges can reach us.
  try {
    reachability = await checkReachability(api, account, (await api.chain()).chainId, natFacts, false);
    ctx.say(`reachable  ${reachability.verdict === "reachable" ? "yes" : `NO (${reachability.verdict})`}: ${reachability.summary}`);
    if (reachability.verdict !== "reachable") ctx.say(`  what to do: ${reachability.advice}`);
    await writeState();
  } catch (e) {
    log(`warning: the reachability check failed: ${(e as Error).message} (run "vidya node check" while the node runs)`);
  }
  ctx.say("press Ctrl-C to stop");
  ctx.result(stateOf(running));

  // Progress while anything downloads; state.json follows it less often.
  let ticks = 0;
  const ticker = setInterval(() => {
    const downloads = running.downloads();
    progress.update(downloads.map((d) => ({ key: d.infoHash, label: d.name, done: d.have, total: d.length, speed: d.speed, peers: d.peers })));
    if (downloads.length > 0 && ++ticks % 8 === 0) stateChanged();
  }, 250);

  const replan = (why: string) => {
    void (async () => {
      const c = await loadConfig(ctx.home);
      log(`${why}: planning again`);
      await running.replan({ interests: c.interests, fill: c.fill, storageCap: c.storageCap });
    })().catch((e: Error) => log(`warning: planning failed: ${e.message}`));
  };
  const onHup = () => replan("SIGHUP");
  process.on("SIGHUP", onHup);
  // `vidya node want` rewrites config.json by rename, so the folder is watched, not the file.
  let watcher: FSWatcher | undefined;
  let lastConfig = JSON.stringify({ i: config.interests, f: config.fill, c: config.storageCap });
  try {
    watcher = watch(ctx.home.dir, (_event, file) => {
      if (file !== basename(ctx.home.config)) return;
      void loadConfig(ctx.home).then((c) => {
        const now = JSON.stringify({ i: c.interests, f: c.fill, c: c.storageCap });
        if (now === lastConfig) return;
        lastConfig = now;
        replan("config.json changed");
      }, () => {});
    });
  } catch (e) {
    log(`warning: not watching ${ctx.home.config} (${(e as Error).message}); send SIGHUP to apply changes`);
  }

  const sig = await Promise.race([ctx.stopSignal(), fullDisk]);
  log(`${sig}: stopping`);
  clearInterval(ticker);
  if (pendingWrite) clearTimeout(pendingWrite);
  watcher?.close();
  process.off("SIGHUP", onHup);
  progress.close();
  await running.stop();
  await mapping?.stop();
  await writeState({ stoppedAt: new Date().toISOString(), pid: undefined, downloads: [] });
}
