// A running node (DESIGN.md flow 3): register with the tracker, check each local payload
// against the index's storage root, seed it with the proof extension, report the hosted
// subset. Pure orchestration; the CLI command wraps it with signals and output.

import type WebTorrent from "webtorrent";
import type { PrivateKeyAccount } from "viem/accounts";
import type { StorageTree } from "../../protocol/merkle/storage-tree.ts";
import { toHex } from "../../protocol/hex.ts";
import { parseTorrent } from "../../protocol/torrent.ts";
import type { IndexTorrent, TrackerApi } from "../api.ts";
import { payloadPaths, payloadPresent, storageTreeOfPayload } from "../storage/payload.ts";
import { attachProofExtension, createClient, destroyClient, seedTorrent } from "./client.ts";

export interface HostOptions {
  api: TrackerApi;
  account: PrivateKeyAccount;
  dataDir: string;
  port: number;
  storageCap: number;
  /** Info hashes to download through the tracker first when they are not on disk. */
  host?: string[];
  log?: (line: string) => void;
}

export interface HostedTorrent {
  infoHash: string;
  name: string;
  length: number;
  storageRoot: string;
}

export interface RunningNode {
  client: WebTorrent;
  address: string;
  endpoint: { host: string; port: number };
  port: number;
  hosted: HostedTorrent[];
  trees: Map<string, StorageTree>;
  stop(): Promise<void>;
}

export async function startHosting(o: HostOptions): Promise<RunningNode> {
  const log = o.log ?? (() => {});
  const chain = await o.api.chain();
  const client = await createClient({ port: o.port });
  try {
    const port = client.torrentPort;
    const reg = await o.api.register(o.account, chain.chainId, port);
    log(`registered ${o.account.address} with the tracker; the edge sees ${reg.endpoint.host}:${reg.endpoint.port}`);
    const index = await o.api.torrents();
    const byHash = new Map(index.map((t) => [t.infoHash.toLowerCase(), t]));
    const trees = new Map<string, StorageTree>();
    const layouts = new Map<string, IndexTorrent>();
    // webtorrent keeps its files open, so deleted data could still be served from the open
    // descriptors: before proving, check the payload is still on disk; if not, stop seeding it.
    const lookup = async (ih: string) => {
      const tree = trees.get(ih);
      const layout = layouts.get(ih);
      if (!tree || !layout) return undefined;
      if (await payloadPresent(o.dataDir, layout)) return tree;
      trees.delete(ih);
      log(`warning: the payload of ${layout.name} (${ih}) is gone from ${o.dataDir}; no longer seeding or proving it`);
      (await client.get(ih))?.destroy();
      return undefined;
    };
    const hosted: HostedTorrent[] = [];
    let used = 0;
    const onProofAnswer = (ih: string, m: { type: string; blocks?: number[]; reason?: string }, peer: string) =>
      log(m.type === "response" ? `proved blocks ${m.blocks!.join(",")} of ${ih} to ${peer}` : `rejected a proof request for ${ih} from ${peer}: ${m.reason}`);
    const onWarning = (ih: string, msg: string) => log(`warning (${ih}): ${msg}`);

    for (const ih of (o.host ?? []).map((h) => h.toLowerCase())) {
      const t = byHash.get(ih);
      if (!t) {
        log(`--host ${ih}: not in the tracker's index, skipped`);
        continue;
      }
      if (await payloadPresent(o.dataDir, t)) continue;
      if (used + t.length > o.storageCap) {
        log(`--host ${t.name}: ${t.length} bytes would pass the storage cap (${o.storageCap}), skipped`);
        continue;
      }
      log(`downloading ${t.name} (${ih}) through the tracker to host it`);
      const file = await o.api.torrentFile(reg.passkey, ih);
      const torrent = client.add(file, { path: o.dataDir, storeCacheSlots: 0 });
      attachProofExtension(torrent, { lookup, onProofAnswer, onWarning });
      await new Promise<void>((resolve, reject) => {
        if (torrent.done) return resolve();
        torrent.once("done", () => resolve());
        torrent.once("error", (e: Error) => reject(e));
      });
      const tree = await storageTreeOfPayload(o.dataDir, t);
      if (toHex(tree.root) !== t.storageRoot.toLowerCase()) {
        log(`downloaded ${t.name} but its storage root ${toHex(tree.root)} differs from the index's ${t.storageRoot}; not hosting it`);
        torrent.destroy();
        continue;
      }
      trees.set(ih, tree);
      layouts.set(ih, t);
      used += t.length;
      hosted.push({ infoHash: ih, name: t.name, length: t.length, storageRoot: t.storageRoot });
      log(`downloaded and seeding ${t.name} (${ih}, ${t.length} bytes)`);
    }

    for (const t of index) {
      const ih = t.infoHash.toLowerCase();
      if (trees.has(ih) || !(await payloadPresent(o.dataDir, t))) continue;
      if (used + t.length > o.storageCap) {
        log(`${t.name}: ${t.length} bytes would pass the storage cap (${o.storageCap}), not hosted`);
        continue;
      }
      const tree = await storageTreeOfPayload(o.dataDir, t);
      if (toHex(tree.root) !== t.storageRoot.toLowerCase()) {
        log(`warning: ${t.name} in ${payloadPaths(o.dataDir, t)[0]} does not match the index's storage root; not hosting it`);
        continue;
      }
      const file = await o.api.torrentFile(reg.passkey, ih);
      if (parseTorrent(file).infoHash !== ih) {
        log(`warning: the tracker's .torrent for ${t.name} has another info hash; not hosting it`);
        continue;
      }
      trees.set(ih, tree);
      layouts.set(ih, t);
      const torrent = await seedTorrent(client, file, { path: o.dataDir, lookup, onProofAnswer, onWarning });
      if (!torrent.done) {
        trees.delete(ih);
        log(`warning: ${t.name} fails webtorrent's piece check (${Math.round(torrent.progress * 100)}% verified); not hosting it`);
        torrent.destroy();
        continue;
      }
      used += t.length;
      hosted.push({ infoHash: ih, name: t.name, length: t.length, storageRoot: t.storageRoot });
      log(`seeding ${t.name} (${ih}, ${t.length} bytes)`);
    }

    const report = await o.api.reportHosted(o.account, chain.chainId, hosted.map((h) => h.infoHash));
    const accepted = new Set(report.hosted.map((h) => h.toLowerCase()));
    for (const h of hosted) if (!accepted.has(h.infoHash)) log(`warning: the tracker did not accept ${h.name} (${h.infoHash}) in the hosted subset`);
    log(`reported a hosted subset of ${report.hosted.length} torrent(s), ${used} bytes`);

    let stopped = false;
    return {
      client,
      address: o.account.address,
      endpoint: reg.endpoint,
      port,
      hosted,
      trees,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await destroyClient(client);
      },
    };
  } catch (e) {
    await destroyClient(client);
    throw e;
  }
}
