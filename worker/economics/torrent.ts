// One torrent's economics now, for its page on the site: how saturated its swarm is, the surge
// multiplier that prices its downloads and pays its uploaders, its replicas and bounty, and
// what hosting it is expected to pay per GB (the hosting offers' formula). Reads D1 only (the
// `swarms` row its shard flushed, the last settlement) and, when configured, the bounty's
// balance on-chain: never the announce path.

import { eq } from "drizzle-orm";
import { pricePerGB, uploadMultiplierBps } from "../../protocol/economics/access.ts";
import { NEUTRAL_SURGE_BPS } from "../../protocol/economics/surge.ts";
import { offer } from "../../protocol/hosting/offers.ts";
import { accessRoute, type Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { bountiesOf } from "../chain/client.ts";
import { quoteBasis } from "./last-settlement.ts";

export interface TorrentEconomics {
  /** Forecast demand ÷ capacity over the next 15 minutes at the last surge window, basis points. */
  saturationBps: number;
  /** The surge multiplier now, basis points (10,000 = 1×). */
  surgeBps: number;
  /** What one paid GB of it costs now under the access route in force, wei. */
  pricePerGBWei: string;
  /** The multiplier its uploaders' rewards get, basis points. */
  uploadRewardMultiplierBps: number;
  /** Replicas counted in the last settlement (before any: nodes reporting it). */
  replicas: number;
  /** What is left of its hosting bounty, wei. */
  bountyWei: string;
  /** What one more replica is expected to earn per GB per epoch, wei (GET /api/hosting/offers). */
  expectedRewardPerGBWei: string;
}

/** The economics of `infoHash` (40 lowercase hex); undefined for a torrent not in the index. */
export async function torrentEconomics(env: Env, infoHash: string): Promise<TorrentEconomics | undefined> {
  const d = db(env.DB);
  const t = await d
    .select({ name: schema.torrents.name, length: schema.torrents.length, surgeBps: schema.swarms.surgeBps, saturationBps: schema.swarms.saturationBps })
    .from(schema.torrents)
    .leftJoin(schema.swarms, eq(schema.swarms.infoHash, schema.torrents.infoHash))
    .where(eq(schema.torrents.infoHash, infoHash))
    .get();
  if (!t) return undefined;
  const surge = t.surgeBps !== null ? BigInt(t.surgeBps) : NEUTRAL_SURGE_BPS;
  const route = accessRoute(env);
  const q = await quoteBasis(env, d);
  // The chain's balance when it can be read (a bounty funded since the last close counts), else the settlement's.
  const onChain = (await bountiesOf(env, [infoHash]).catch(() => new Map<string, bigint>())).get(infoHash);
  const bounty = onChain ?? q.bountyLeft.get(infoHash) ?? 0n;
  const replicas = q.replicas.get(infoHash)?.size ?? 0;
  const quote = offer(
    { infoHash, name: t.name, length: t.length, replicas, surgeBps: surge, bounty },
    q.totalWeight !== undefined ? { provenBytes: q.provenBytes, totalWeight: q.totalWeight, pool: q.pool } : { provenBytes: q.provenBytes, pool: q.pool },
  );
  return {
    saturationBps: t.saturationBps ?? 0,
    surgeBps: Number(surge),
    pricePerGBWei: pricePerGB(route, surge).toString(),
    uploadRewardMultiplierBps: Number(uploadMultiplierBps(route, surge)),
    replicas,
    bountyWei: bounty.toString(),
    expectedRewardPerGBWei: quote.expectedRewardPerGB.toString(),
  };
}
