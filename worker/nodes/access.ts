// A node's tracker key (nodes.passkey) is not a member's passkey (DESIGN.md "Identities cost
// something"): it covers only the torrents the node hosts (its hosted subset) or reported
// fetching to host within FETCH_ACCESS_SECONDS. Announces (the swarm shard's directory) and
// .torrent downloads (worker/torrents/routes.ts) ask here; the site, invites, uploads and
// stats never accept it (they look the key up among members only).

import { FETCH_ACCESS_SECONDS } from "../../protocol/params.ts";
import { PASSKEY } from "../members/lookup.ts";

export interface NodeKeyRecord {
  address: string;
  registeredAt: number;
}

/** The node a tracker key belongs to, or undefined (a member's passkey is not a node's). */
export async function nodeByKey(d1: D1Database, key: string): Promise<NodeKeyRecord | undefined> {
  if (!PASSKEY.test(key)) return undefined;
  const row = await d1.prepare("SELECT address, registered_at FROM nodes WHERE passkey = ?").bind(key).first<{ address: string; registered_at: number }>();
  return row ? { address: row.address, registeredAt: row.registered_at } : undefined;
}

/** Whether `node`'s tracker key covers `infoHash`: hosted, or reported fetching recently. */
export async function nodeCovers(d1: D1Database, node: string, infoHash: string, now = Date.now()): Promise<boolean> {
  const row = await d1
    .prepare(
      "SELECT EXISTS (SELECT 1 FROM hosted WHERE node = ?1 AND info_hash = ?2) OR EXISTS (SELECT 1 FROM fetching WHERE node = ?1 AND info_hash = ?2 AND reported_at > ?3) AS covered",
    )
    .bind(node, infoHash, now - FETCH_ACCESS_SECONDS * 1000)
    .first<{ covered: number }>();
  return row?.covered === 1;
}
