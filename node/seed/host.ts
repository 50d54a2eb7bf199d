// A running node (DESIGN.md flow 3 and "Buy hosting"): register with the tracker, decide what
// to host from what is on disk, the member's interest list and the tracker's offers
// (node/hosting/plan.ts), delete what it drops to make room, download what it takes, check
// every payload against the index's storage root, seed it with the proof extension, and
// report the hosted subset. It plans again on a timer and when asked (`vidya node want`
// sends SIGHUP). Orchestration only; the CLI command wraps it with signals and output.

import type WebTorrent from "webtorrent";
import type { Torrent } from "webtorrent";
import type { PrivateKeyAccount } from "viem/accounts";
import type { StorageTree } from "../../protocol/merkle/storage-tree.ts";
import { toHex } from "../../protocol/hex.ts";
import { parseTorrent } from "../../protocol/torrent.ts";
import { MAX_FETCHING, RECEIPT_FLUSH_MS } from "../../protocol/params.ts";
import type { IndexTorrent, TrackerApi } from "../api.ts";
import { interestMatcher } from "../hosting/interests.ts";
import { planHosting, type Candidate } from "../hosting/plan.ts";
import { deletePayload, payloadBytesOnDisk, payloadPaths, payloadPresent, PieceCheck, piecesComplete, storageTreeFromFiles, storageTreeOfPayload } from "../storage/payload.ts";
import { isDiskFull } from "../storage/free-space.ts";
import { changedPiecesValid, forgetResume, loadResume, refreshUnits, saveResume, stampFiles, type FileStamp, type Resumed, type TreeUnit } from "../storage/resume.ts";
import type { HashCount, Layout } from "../storage/spans.ts";
import { asBytes, asDict, asInt, decode } from "../../protocol/bencode.ts";
import { attachProofExtension, createClient, destroyClient, seedTorrent } from "./client.ts";
import { ReceiptSigner, receiptSink, type WireReceipt } from "./receipts.ts";

export interface HostOptions {
  api: TrackerApi;
  account: PrivateKeyAccount;
  dataDir: string;
  port: number;
  /** Payload bytes the node may keep on disk, partial downloads included. */
  storageCap: number;
  /** The member's interest list: info hashes and name patterns (node/hosting/interests.ts). */
  interests?: string[];
  /** Info hashes wanted for this run only (`--host`), on top of the interest list. */
  host?: string[];
  /** Fill the rest of the cap with the best-paying torrents; otherwise download only what is wanted. */
  fill?: boolean;
  /** Plan again this often (ms); never when absent. */
  replanMs?: number;
  log?: (line: string) => void;
  /** Something the CLI shows changed: hosted subset, downloads started or ended, a plan. */
  onChange?: () => void;
  /**
   * Called once the client listens, before registering: maps the port on the home router
   * (node/nat/) and resolves with the outside port to register, which challenges dial.
   */
  mapPort?: (listeningPort: number) => Promise<number>;
  /** The disk is full (ENOSPC while downloading): the CLI stops the node, keeping its state. */
  onDiskFull?: (message: string) => void;
  /** Where saved piece state lives (node/storage/resume.ts); without it every start re-hashes every payload. */
  stateDir?: string;
}

/** How a payload on disk was checked when the node last took it up (the restart test reads it). */
export interface DiskCheck {
  /** Seeded from saved piece state: webtorrent hashed nothing. */
  resumed: boolean;
  /** Files whose size, mtime or ctime moved since the state was saved. */
  changedFiles: number;
  /** Pieces and blocks hashed by the node itself, and the bytes read for them. */
  hashed: HashCount;
}

export interface HostedTorrent {
  infoHash: string;
  name: string;
  length: number;
  storageRoot: string;
}

export interface DownloadStatus {
  infoHash: string;
  name: string;
  length: number;
  /** Verified (and in-flight) bytes on disk, resumed pieces included. */
  have: number;
  /** Bytes received from peers by this process. */
  received: number;
  speed: number;
  peers: number;
}

export interface PlannedTorrent {
  infoHash: string;
  name: string;
  length: number;
  wanted: boolean;
  /** The tracker's expected reward per epoch per GB, wei-like, as a decimal string. */
  rewardPerGB: string;
  action: "host" | "fetch";
}

export interface PlanSummary {
  at: string;
  storageCap: number;
  fill: boolean;
  selected: PlannedTorrent[];
  dropped: { infoHash: string; name: string; bytes: number }[];
  passedOver: { infoHash: string; name: string; reason: string }[];
  hostedBytes: number;
  diskBytes: number;
}

export interface PlanChanges {
  interests?: string[];
  fill?: boolean;
  storageCap?: number;
}

export interface RunningNode {
  client: WebTorrent;
  address: string;
  endpoint: { host: string; port: number };
  port: number;
  /** Seeded, verified against the storage root, and reported. */
  readonly hosted: HostedTorrent[];
  /** Whole-payload storage trees of the v1 torrents hosted, by info hash. */
  trees: Map<string, StorageTree>;
  /** Per-file trees of the hybrid torrents hosted (BEP 52), by info hash, then pieces root (hex). */
  fileTrees: Map<string, Map<string, StorageTree>>;
  downloads(): DownloadStatus[];
  /** How each payload found on disk was checked, by info hash. */
  diskChecks: Map<string, DiskCheck>;
  /** Bytes received from peers since start (webtorrent's `received`), finished torrents included. */
  receivedBytes(): number;
  lastPlan(): PlanSummary | undefined;
  /** Plans again now (after any plan in progress), with changed settings if given. */
  replan(changes?: PlanChanges): Promise<PlanSummary>;
  /** Resolves once no plan runs and no download is queued or in progress. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** Downloads at once; the rest wait their turn. */
const PARALLEL_DOWNLOADS = 3;

export async function startHosting(o: HostOptions): Promise<RunningNode> {
  const log = o.log ?? (() => {});
  const changed = () => o.onChange?.();
  const chain = await o.api.chain();
  const client = await createClient({ port: o.port });
  const settings = { interests: o.interests ?? [], host: (o.host ?? []).map((h) => h.toLowerCase()), fill: o.fill ?? false, storageCap: o.storageCap };

  const index = new Map<string, IndexTorrent>();
  const seeding = new Map<string, { layout: IndexTorrent; torrent: Torrent }>();
  const downloading = new Map<string, { layout: IndexTorrent; torrent: Torrent }>();
  const trees = new Map<string, StorageTree>();
  const fileTrees = new Map<string, Map<string, StorageTree>>();
  /** Payloads whose bytes never matched the index's storage root (the curator's root or the data is wrong). */
  const unhostable = new Set<string>();
  /** Right sizes on disk but webtorrent found pieces missing or wrong: a download, not a seed. */
  const incomplete = new Set<string>();
  const queue: string[] = [];
  const diskChecks = new Map<string, DiskCheck>();
  let receivedBefore = 0;
  let stopped = false;
  let lastPlan: PlanSummary | undefined;
  let lastReported: string | undefined;
  let warnedNoOffers = false;

  const destroyTorrent = (t: Torrent) =>
    new Promise<void>((resolve) => {
      if (t.destroyed) return resolve();
      receivedBefore += t.received;
      t.destroy({}, () => resolve());
    });

  // webtorrent keeps its files open, so deleted data could still be served from the open
  // descriptors: before proving, check the payload is still on disk; if not, stop seeding it.
  // The tracker learns the smaller subset at the next plan.
  const lookup = async (ih: string, root?: string) => {
    const tree = root === undefined ? trees.get(ih) : fileTrees.get(ih)?.get(root);
    const s = seeding.get(ih);
    if (!tree || !s) return undefined;
    if (await payloadPresent(o.dataDir, s.layout)) return tree;
    trees.delete(ih);
    fileTrees.delete(ih);
    seeding.delete(ih);
    log(`warning: the payload of ${s.layout.name} (${ih}) is gone from ${o.dataDir}; no longer seeding or proving it`);
    await destroyTorrent(s.torrent);
    changed();
    return undefined;
  };
  const onProofAnswer = (ih: string, m: { type: string; blocks?: number[]; reason?: string }, peer: string) =>
    log(m.type === "response" ? `proved blocks ${m.blocks!.join(",")} of ${ih} to ${peer}` : `rejected a proof request for ${ih} from ${peer}: ${m.reason}`);
  const onWarning = (ih: string, msg: string) => log(`warning (${ih}): ${msg}`);
  // Receipts downloaders hand us (vidya_receipt): submitted to the edge when they name us and
  // grew, so our served bytes are receipted even if the downloader never reaches the edge.
  const receiptsSeen = new Map<string, bigint>();
  const onReceipt = (r: WireReceipt) => {
    if (r.message.uploader?.toLowerCase() !== o.account.address.toLowerCase() || !/^[0-9]{1,20}$/.test(r.message.cumulative ?? "")) return;
    const key = `${r.message.downloader}:${r.message.infoHash}:${r.message.session}:${r.message.epoch}`;
    const cumulative = BigInt(r.message.cumulative!);
    if ((receiptsSeen.get(key) ?? -1n) >= cumulative) return;
    if (receiptsSeen.size >= 10_000) receiptsSeen.clear(); // bounded: a resubmission is harmless
    receiptsSeen.set(key, cumulative);
    o.api.submitReceipt(r.message, r.signature).catch((e: Error) => log(`warning: a downloader's receipt was not accepted: ${e.message}`));
  };

  // One plan or download completion at a time: each reads and changes the maps above.
  let tail: Promise<unknown> = Promise.resolve();
  let busy = 0;
  /** Downloads from the moment they leave the queue until their outcome is handled. */
  let active = 0;
  const idleWaiters: (() => void)[] = [];
  const checkIdle = () => {
    if (busy === 0 && queue.length === 0 && active === 0) for (const r of idleWaiters.splice(0)) r();
  };
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    busy++;
    const run = tail.then(fn, fn).finally(() => {
      busy--;
      checkIdle();
    });
    tail = run.catch(() => {});
    return run;
  };

  // Storage roots computed from payloads whose v1 piece hashes webtorrent checked: reported so
  // the tracker can confirm (or contest) the curator's root with independent nodes.
  const rootsPending = new Map<string, string>();
  const rootsReported = new Map<string, string>();
  const noteRoot = (ih: string, root: string) => {
    if (rootsReported.get(ih) !== root) rootsPending.set(ih, root);
  };

  let reporting: Promise<void> = Promise.resolve();
  const reportRoots = (): Promise<void> => {
    const send = async () => {
      if (stopped || rootsPending.size === 0) return;
      const batch = [...rootsPending].slice(0, 500).map(([infoHash, root]) => ({ infoHash, root }));
      try {
        const r = await o.api.reportRoots(o.account, chain.chainId, batch);
        for (const b of batch) {
          rootsReported.set(b.infoHash, b.root);
          if (rootsPending.get(b.infoHash) === b.root) rootsPending.delete(b.infoHash);
        }
        log(`reported ${batch.length} storage root(s): ${r.accepted.map((a) => `${a.infoHash.slice(0, 8)} ${a.rootStatus}`).join(", ") || "none known to the tracker"}`);
      } catch (e) {
        log(`warning: could not report storage roots: ${(e as Error).message}`);
      }
    };
    reporting = reporting.then(send);
    return reporting;
  };
  let lastFetching: string | undefined;
  const report = (): Promise<void> => {
    const send = async () => {
      if (stopped) return;
      const list = [...seeding.keys()];
      try {
        const r = await o.api.reportHosted(o.account, chain.chainId, list);
        lastReported = list.join(",");
        const accepted = new Set(r.hosted.map((h) => h.toLowerCase()));
        for (const ih of list) if (!accepted.has(ih)) log(`warning: the tracker did not accept ${seeding.get(ih)?.layout.name} (${ih}) in the hosted subset`);
        log(`reported a hosted subset of ${r.hosted.length} torrent(s), ${list.reduce((s, ih) => s + (seeding.get(ih)?.layout.length ?? 0), 0)} bytes`);
      } catch (e) {
        log(`warning: could not report the hosted subset: ${(e as Error).message}`);
      }
    };
    reporting = reporting.then(send);
    return reporting;
  };

  const layoutOf = (t: IndexTorrent): Layout => ({ paths: payloadPaths(o.dataDir, t), lengths: t.files.map((f) => f.length) });

  /**
   * The trees a challenge of `t` is checked against, built from the files on disk (or taken
   * from saved piece state, its changed files re-hashed): the whole payload's (v1), or each
   * file's (hybrid, BEP 52: the info dict's pieces roots are the commitment). `matches` when
   * they equal the index's roots; `root` is the v1 root computed.
   */
  const checkTrees = async (t: IndexTorrent, resumed?: Resumed, count?: HashCount, pieces?: PieceCheck): Promise<{ matches: boolean; root?: string; units: TreeUnit[]; install: () => void }> => {
    const ih = t.infoHash.toLowerCase();
    const layout = layoutOf(t);
    if (t.v2Files?.length) {
      const units: TreeUnit[] = resumed ? await refreshUnits(layout, resumed.units, resumed.changed, count) : [];
      const byRoot = new Map<string, StorageTree>();
      let matches = true;
      for (const f of t.v2Files) {
        if (f.length === 0 || !f.piecesRoot) continue;
        const i = t.files.findIndex((x) => x.path === f.path);
        let unit = units.find((u) => u.files[0] === i);
        if (!unit) units.push((unit = { files: [i], tree: await storageTreeFromFiles([layout.paths[i >= 0 ? i : 0]!]) }));
        if (i < 0 || toHex(unit.tree.root) !== f.piecesRoot.toLowerCase()) matches = false;
        byRoot.set(toHex(unit.tree.root), unit.tree);
      }
      return { matches, units, install: () => void fileTrees.set(ih, byRoot) };
    }
    const onChunk = (c: Uint8Array) => {
      pieces?.update(c);
      if (count) count.bytes += c.length;
    };
    const tree = resumed ? (await refreshUnits(layout, resumed.units, resumed.changed, count))[0]!.tree : await storageTreeOfPayload(o.dataDir, t, onChunk);
    return { matches: toHex(tree.root) === t.storageRoot.toLowerCase(), root: toHex(tree.root), units: [{ files: t.files.map((_, i) => i), tree }], install: () => void trees.set(ih, tree) };
  };

  /** Saved piece state of `t` whose changed files still hold their v1 pieces; undefined: check it all. */
  const resumable = async (t: IndexTorrent, v1: { pieceLength: number; pieces: Uint8Array }, count: HashCount): Promise<Resumed | undefined> => {
    if (!o.stateDir) return undefined;
    const ih = t.infoHash.toLowerCase();
    const resumed = await loadResume(o.stateDir, ih, payloadPaths(o.dataDir, t));
    if (!resumed) return undefined;
    if (await changedPiecesValid(layoutOf(t), v1.pieceLength, v1.pieces, resumed.changed, count)) return resumed;
    await forgetResume(o.stateDir, ih);
    return undefined;
  };

  const saveState = async (t: IndexTorrent, stamps: FileStamp[] | undefined, units: TreeUnit[]) => {
    if (!o.stateDir || !stamps) return;
    await saveResume(o.stateDir, t.infoHash.toLowerCase(), stamps, units).catch((e: Error) => log(`warning: could not save the piece state of ${t.name}: ${e.message}`));
  };

  /** Checks a payload on disk against the storage root(s) and webtorrent's piece hashes, then seeds it. */
  const hostFromDisk = async (t: IndexTorrent, file: Uint8Array): Promise<"hosted" | "unhostable" | "incomplete"> => {
    const ih = t.infoHash.toLowerCase();
    const hashed: HashCount = { units: 0, bytes: 0 };
    const info = asDict(asDict(decode(file), "torrent").info, "info");
    // v2-only torrents have no v1 pieces (and are never hosted: webtorrent speaks v1 only).
    const v1 = info.pieces === undefined ? undefined : { pieceLength: asInt(info["piece length"], "piece length"), pieces: asBytes(info.pieces, "pieces") };
    const resumed = v1 ? await resumable(t, v1, hashed) : undefined;
    // Stamped before hashing: a file written meanwhile no longer matches its saved stamp.
    const stamps = resumed?.stamps ?? (await stampFiles(payloadPaths(o.dataDir, t)));
    // A v1 payload's pieces are checked in the storage tree's pass; a hybrid's (pad files) by webtorrent.
    const pieceCheck = resumed || !v1 || t.v2Files?.length ? undefined : new PieceCheck(v1.pieceLength, v1.pieces);
    const checked = await checkTrees(t, resumed, hashed, pieceCheck);
    const piecesChecked = resumed !== undefined || (pieceCheck?.finish() ?? false);
    diskChecks.set(ih, { resumed: resumed !== undefined, changedFiles: resumed?.changed.length ?? t.files.length, hashed });
    if (!checked.matches) {
      if (o.stateDir) await forgetResume(o.stateDir, ih);
      // Pieces that fail are data to fetch again; pieces that pass mean the index's root is wrong.
      if (!(await piecesComplete(o.dataDir, t, file))) {
        log(`${t.name} in ${payloadPaths(o.dataDir, t)[0]} has pieces missing or wrong; not hosting it as it is`);
        return "incomplete";
      }
      log(`warning: ${t.name} in ${payloadPaths(o.dataDir, t)[0]} does not match the index's storage root; not hosting it`);
      if (checked.root) noteRoot(ih, checked.root);
      return "unhostable";
    }
    checked.install();
    const torrent = await seedTorrent(client, file, { path: o.dataDir, lookup, onProofAnswer, onWarning, nodeAddress: o.account.address, onReceipt, signer: o.account, skipVerify: piecesChecked });
    if (!torrent.done) {
      trees.delete(ih);
      fileTrees.delete(ih);
      log(`warning: ${t.name} fails webtorrent's piece check (${Math.round(torrent.progress * 100)}% verified); not hosting it`);
      await destroyTorrent(torrent);
      return "incomplete";
    }
    seeding.set(ih, { layout: t, torrent });
    if (checked.root) noteRoot(ih, checked.root);
    if (!resumed || resumed.changed.length > 0) await saveState(t, stamps, checked.units);
    const how = resumed ? `, resumed from saved piece state: ${resumed.changed.length} changed file(s), ${hashed.bytes} bytes re-hashed` : "";
    log(`seeding ${t.name} (${ih}, ${t.length} bytes${how})`);
    return "hosted";
  };

  /** The tracker's .torrent for `ih`, with this node's announce URL; undefined if it names another torrent. */
  const torrentFile = async (t: IndexTorrent): Promise<Uint8Array | undefined> => {
    const file = await o.api.torrentFile(reg.passkey, t.infoHash.toLowerCase());
    if (parseTorrent(file).infoHash === t.infoHash.toLowerCase()) return file;
    log(`warning: the tracker's .torrent for ${t.name} has another info hash; not hosting it`);
    unhostable.add(t.infoHash.toLowerCase());
    return undefined;
  };

  const pump = () => {
    while (!stopped && active < PARALLEL_DOWNLOADS && queue.length > 0) {
      const ih = queue.shift()!;
      const t = index.get(ih);
      if (!t || seeding.has(ih) || downloading.has(ih)) continue;
      active++;
      void download(t)
        .catch((e: Error) => log(`warning: downloading ${t.name} failed: ${e.message}`))
        .finally(() => {
          active--;
          changed();
          pump();
        });
    }
    checkIdle();
  };

  const download = async (t: IndexTorrent): Promise<void> => {
    const ih = t.infoHash.toLowerCase();
    const file = await torrentFile(t).catch((e: Error) => {
      log(`warning: cannot fetch the .torrent of ${t.name}: ${e.message}`);
      return undefined;
    });
    if (!file || stopped) return;
    // Fetching, the node is a downloader: it receipts the nodes it gets bytes from, as `vidya get`
    // does (receipts.ts). Unpaid bytes earn them nothing; the receipts show who served the replica.
    const receipts = new ReceiptSigner(ih, o.account, receiptSink(o.api, chain.chainId), (m) => log(`warning: ${m}`));
    // webtorrent checks the pieces already on disk and fetches only the rest: a restart resumes.
    const torrent = client.add(file, { path: o.dataDir, storeCacheSlots: 0 });
    attachProofExtension(torrent, { lookup, onProofAnswer, onWarning, nodeAddress: o.account.address, onReceipt, signer: o.account, onPeerNode: (w, n) => receipts.track(w, n) });
    let flushing: Promise<unknown> = Promise.resolve();
    const periodic = setInterval(() => (flushing = flushing.then(() => receipts.flush())), RECEIPT_FLUSH_MS);
    downloading.set(ih, { layout: t, torrent });
    log(`downloading ${t.name} (${ih}, ${t.length} bytes) through the tracker`);
    changed();
    const outcome = await new Promise<"done" | "closed" | Error>((resolve) => {
      const finish = () => resolve(torrent.done ? "done" : "closed");
      torrent.once("done", () => resolve("done"));
      torrent.once("close", finish);
      torrent.once("error", (e: Error) => resolve(e));
      if (torrent.ready && torrent.done) resolve("done");
      else torrent.once("ready", () => torrent.done && resolve("done"));
    });
    clearInterval(periodic);
    await flushing;
    // Whatever the outcome, the bytes received were served: receipt them (flush never throws).
    await receipts.flush(true);
    await serial(async () => {
      if (downloading.get(ih)?.torrent !== torrent) return; // dropped by a plan meanwhile
      downloading.delete(ih);
      if (outcome !== "done") {
        if (outcome instanceof Error) log(`${isDiskFull(outcome) ? "error" : "warning"}: downloading ${t.name} failed: ${outcome.message}`);
        if (outcome instanceof Error && isDiskFull(outcome)) o.onDiskFull?.(outcome.message);
        await destroyTorrent(torrent);
        return;
      }
      const stamps = await stampFiles(payloadPaths(o.dataDir, t));
      const checked = await checkTrees(t);
      if (!checked.matches) {
        log(`downloaded ${t.name} but its storage root${checked.root ? ` ${checked.root}` : "s"} differ${checked.root ? "s" : ""} from the index's; not hosting it`);
        unhostable.add(ih);
        if (checked.root) noteRoot(ih, checked.root);
        await reportRoots();
        await destroyTorrent(torrent);
        return;
      }
      incomplete.delete(ih);
      checked.install();
      seeding.set(ih, { layout: t, torrent });
      if (checked.root) noteRoot(ih, checked.root);
      await saveState(t, stamps, checked.units);
      log(`downloaded and seeding ${t.name} (${ih}, ${t.length} bytes)`);
      await report();
      await reportRoots();
    });
  };

  const stopTorrent = async (ih: string) => {
    const s = seeding.get(ih) ?? downloading.get(ih);
    seeding.delete(ih);
    downloading.delete(ih);
    trees.delete(ih);
    fileTrees.delete(ih);
    if (s) await destroyTorrent(s.torrent);
  };

  const plan = async (): Promise<PlanSummary> => {
    const list = await o.api.torrents();
    index.clear();
    for (const t of list) index.set(t.infoHash.toLowerCase(), t);
    const offers = new Map<string, bigint>();
    try {
      for (const x of (await o.api.hostingOffers(o.account.address)).offers) offers.set(x.infoHash, BigInt(x.expectedRewardPerGB));
    } catch (e) {
      if (!warnedNoOffers) log(`warning: the tracker publishes no hosting offers (${(e as Error).message}); choosing by interest and what is on disk only`);
      warnedNoOffers = true;
    }
    const wanted = interestMatcher([...settings.interests, ...settings.host]);
    const candidates: Candidate[] = [];
    // webtorrent speaks v1 pieces only: a v2-only torrent (BEP 52) cannot be seeded; a hybrid can.
    for (const [ih, t] of index) {
      const complete = seeding.has(ih) || (!downloading.has(ih) && !incomplete.has(ih) && (await payloadPresent(o.dataDir, t)));
      candidates.push({ infoHash: ih, name: t.name, length: t.length, onDisk: await payloadBytesOnDisk(o.dataDir, t), complete, wanted: wanted(t), rewardPerGB: offers.get(ih) ?? 0n, unhostable: unhostable.has(ih) || t.version === "v2" });
    }
    const p = planHosting(candidates, settings);
    const taken = new Set([...p.keep, ...p.fetch]);

    // Stop seeding, tell the tracker, delete, then fetch: the cap holds at every step, and the
    // tracker stops challenging a torrent before its payload is gone.
    for (const ih of [...seeding.keys(), ...downloading.keys()]) {
      if (taken.has(ih)) continue;
      const name = (seeding.get(ih) ?? downloading.get(ih))!.layout.name;
      log(`${seeding.has(ih) ? "no longer hosting" : "no longer downloading"} ${name} (${ih})`);
      await stopTorrent(ih);
    }
    for (let i = queue.length - 1; i >= 0; i--) if (!taken.has(queue[i]!)) queue.splice(i, 1);
    if (lastReported !== undefined && [...seeding.keys()].join(",") !== lastReported) await report();
    const dropped: PlanSummary["dropped"] = [];
    for (const ih of p.drop) {
      const t = index.get(ih)!;
      const bytes = candidates.find((c) => c.infoHash === ih)!.onDisk;
      await deletePayload(o.dataDir, t);
      if (o.stateDir) await forgetResume(o.stateDir, ih);
      incomplete.delete(ih);
      dropped.push({ infoHash: ih, name: t.name, bytes });
      log(`dropped ${t.name} (${ih}, ${bytes} bytes on disk) to make room`);
    }

    // The node's tracker key covers only what it hosts or reported fetching: say what it is
    // about to fetch or check on disk before asking for .torrent files or announcing.
    const toFetch = [...p.keep, ...p.fetch].filter((ih) => !seeding.has(ih)).slice(0, MAX_FETCHING);
    if (toFetch.join(",") !== lastFetching) {
      try {
        await o.api.reportFetching(o.account, chain.chainId, toFetch);
        lastFetching = toFetch.join(",");
      } catch (e) {
        log(`warning: could not report what this node fetches: ${(e as Error).message}`);
      }
    }
    for (const ih of p.keep) {
      if (seeding.has(ih) || stopped) continue;
      const t = index.get(ih)!;
      const file = await torrentFile(t);
      if (!file) continue;
      const r = await hostFromDisk(t, file);
      if (r === "unhostable") unhostable.add(ih);
      if (r === "incomplete") {
        incomplete.add(ih);
        // Taken, so its full length is already reserved: webtorrent repairs it like a resumed download.
        if (wanted(t) || settings.fill) queue.push(ih);
      }
    }
    for (const ih of p.fetch) if (!downloading.has(ih) && !seeding.has(ih) && !queue.includes(ih)) queue.push(ih);
    for (const x of p.passedOver) log(`not hosting ${x.name} (${x.infoHash}), though wanted: ${x.reason}`);
    if ([...seeding.keys()].join(",") !== lastReported) await report();
    await reportRoots();

    const selectedOf = (c: Candidate): PlannedTorrent => ({ infoHash: c.infoHash, name: c.name, length: c.length, wanted: c.wanted, rewardPerGB: c.rewardPerGB.toString(), action: c.complete ? "host" : "fetch" });
    lastPlan = { at: new Date().toISOString(), storageCap: settings.storageCap, fill: settings.fill, selected: p.selected.map(selectedOf), dropped, passedOver: p.passedOver, hostedBytes: p.hostedBytes, diskBytes: p.diskBytes };
    pump();
    changed();
    return lastPlan;
  };

  let reg: Awaited<ReturnType<TrackerApi["register"]>>;
  let timer: ReturnType<typeof setInterval> | undefined;
  const listeningPort = client.torrentPort;
  try {
    const registeredPort = o.mapPort ? await o.mapPort(listeningPort) : listeningPort;
    // Peers learn the port from announces: the router's outside port when it granted another.
    if (registeredPort !== listeningPort) client.torrentPort = registeredPort;
    reg = await o.api.register(o.account, chain.chainId, registeredPort);
    log(`registered ${o.account.address} with the tracker; the edge sees ${reg.endpoint.host}:${reg.endpoint.port}`);
    await serial(plan);
  } catch (e) {
    stopped = true;
    await destroyClient(client);
    throw e;
  }
  const replan = (changes: PlanChanges = {}) =>
    serial(() => {
      if (changes.interests) settings.interests = changes.interests;
      if (changes.fill !== undefined) settings.fill = changes.fill;
      if (changes.storageCap !== undefined) settings.storageCap = changes.storageCap;
      return plan();
    });
  if (o.replanMs) {
    timer = setInterval(() => void replan().catch((e: Error) => log(`warning: planning failed: ${e.message}`)), o.replanMs);
    timer.unref();
  }

  return {
    client,
    address: o.account.address,
    endpoint: reg.endpoint,
    port: listeningPort,
    get hosted() {
      return [...seeding.values()].map(({ layout: t }) => ({ infoHash: t.infoHash.toLowerCase(), name: t.name, length: t.length, storageRoot: t.storageRoot }));
    },
    trees,
    fileTrees,
    diskChecks,
    downloads: () =>
      [...downloading.values()].map(({ layout: t, torrent }) => ({
        infoHash: t.infoHash.toLowerCase(),
        name: t.name,
        length: t.length,
        have: torrent.downloaded,
        received: torrent.received,
        speed: torrent.downloadSpeed,
        peers: torrent.numPeers,
      })),
    receivedBytes: () => receivedBefore + client.torrents.reduce((s, t) => s + t.received, 0),
    lastPlan: () => lastPlan,
    replan,
    settled: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      queue.length = 0;
      receivedBefore += client.torrents.reduce((s, t) => s + t.received, 0);
      await destroyClient(client);
      for (const r of idleWaiters.splice(0)) r();
    },
  };
}
