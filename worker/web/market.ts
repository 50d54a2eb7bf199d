// A torrent's market as a member and a node see it on its page: the swarm's surge, what a
// paid GB costs, what uploading and hosting it earn, its replicas and its bounty. Every figure
// comes from the place that decides it: hosting offers from GET /api/hosting/offers (run
// in-process, so the page and the nodes read one formula), prices from protocol/economics,
// the bounty from the chain.

import { pricePerGB, uploadMultiplierBps, type AccessRoute } from "../../protocol/economics/access.ts";
import type { Env } from "../env.ts";
import { bountyOf } from "../chain/client.ts";
import { hostingApi } from "../hosting/routes.ts";

export interface TorrentMarket {
  /** Download demand ÷ upload capacity forecast over the next 15 minutes, when the edge has measured it. */
  saturationBps: bigint | null;
  surgeBps: bigint;
  route: AccessRoute;
  pricePerGBWei: bigint;
  uploadRewardMultiplierBps: bigint;
  provenReplicas: number;
  hostedReplicas: number;
  scarcityWeight: number;
  expectedRewardPerGBWei: bigint;
  /** On-chain bounty balance; null when the chain could not be read. */
  bountyWei: bigint | null;
}

interface Offer {
  infoHash: string;
  provenReplicas: number;
  hostedReplicas: number;
  scarcityWeight: number;
  surgeMultiplier: number;
  saturation?: number;
  expectedRewardPerGB: string;
}

const BPS = 10_000;

export async function torrentMarket(env: Env, infoHash: string, route: AccessRoute = "fixed-gate"): Promise<TorrentMarket> {
  const [offers, bounty] = await Promise.all([
    Promise.resolve(hostingApi.request("/offers", {}, env)).then((r) => r.json() as Promise<{ offers: Offer[] }>),
    bountyOf(env, infoHash).catch(() => null),
  ]);
  const o = offers.offers.find((x: Offer) => x.infoHash === infoHash);
  const surgeBps = BigInt(Math.round((o?.surgeMultiplier ?? 1) * BPS));
  return {
    saturationBps: o?.saturation === undefined ? null : BigInt(Math.round(o.saturation * BPS)),
    surgeBps,
    route,
    pricePerGBWei: pricePerGB(route, surgeBps),
    uploadRewardMultiplierBps: uploadMultiplierBps(route, surgeBps),
    provenReplicas: o?.provenReplicas ?? 0,
    hostedReplicas: o?.hostedReplicas ?? 0,
    scarcityWeight: o?.scarcityWeight ?? 0,
    expectedRewardPerGBWei: BigInt(o?.expectedRewardPerGB ?? "0"),
    bountyWei: bounty,
  };
}
