// What hosting each torrent is expected to pay (DESIGN.md "Buy hosting"): nodes read this to
// choose what to keep. The maths is protocol/hosting/offers.ts (a first cut the economics
// work will replace); this handler only gathers its inputs: every registered torrent, the
// replicas proven in the last closed epoch (from its published inputs) or, before any epoch
// has closed, the replicas nodes report hosting.

import { Hono } from "hono";
import { desc, eq, sql } from "drizzle-orm";
import { hostingOffers, provenReplicas, type OfferInput, type ReplicaChallenge } from "../../protocol/hosting/offers.ts";
import { HOSTING_POOL } from "../../protocol/params.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { badRequest } from "../errors.ts";

export const hostingApi = new Hono<{ Bindings: Env }>();

/** The parts of an epoch's published inputs (worker/epoch/close.ts) that replicas are counted from. */
interface PublishedInputs {
  challenges?: ReplicaChallenge[];
  torrents?: { infoHash: string; rootStatus?: string }[];
  hosting?: { node: string; provenBytes: string | number }[];
}

// GET /api/hosting/offers[?node=0x…]: with `node`, that node's own replicas are not counted
// against it (protocol/hosting/offers.ts `mine`), so what it holds and what it could fetch
// are valued alike.
hostingApi.get("/offers", async (c) => {
  const nodeParam = c.req.query("node");
  if (nodeParam !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(nodeParam)) throw badRequest("node must be 0x and 40 hex digits");
  const node = nodeParam?.toLowerCase();
  const d = db(c.env.DB);

  const torrents = await d.select({ infoHash: schema.torrents.infoHash, name: schema.torrents.name, length: schema.torrents.length }).from(schema.torrents).orderBy(schema.torrents.infoHash);
  const hostedCounts = await d.select({ infoHash: schema.hosted.infoHash, n: sql<number>`count(*)` }).from(schema.hosted).groupBy(schema.hosted.infoHash);
  const hostedBy = new Map(hostedCounts.map((r) => [r.infoHash, Number(r.n)]));
  const mineHosted = node ? new Set((await d.select({ infoHash: schema.hosted.infoHash }).from(schema.hosted).where(eq(schema.hosted.node, node))).map((r) => r.infoHash)) : new Set<string>();

  const last = await d.select({ epoch: schema.epochs.epoch, inputs: schema.epochs.inputs }).from(schema.epochs).orderBy(desc(schema.epochs.epoch)).limit(1).get();
  let basis: "epoch" | "hosted";
  let provenBytes: bigint;
  let proven = new Map<string, Set<string>>();
  if (last) {
    basis = "epoch";
    const inputs = JSON.parse(last.inputs) as PublishedInputs;
    const contested = new Set((inputs.torrents ?? []).filter((t) => t.rootStatus === "contested").map((t) => t.infoHash));
    proven = provenReplicas(inputs.challenges ?? [], contested);
    provenBytes = (inputs.hosting ?? []).reduce((s, h) => s + BigInt(h.provenBytes), 0n);
  } else {
    // Before the first close nothing is proven: what nodes claim to host stands in for it.
    basis = "hosted";
    const lengths = new Map(torrents.map((t) => [t.infoHash, t.length]));
    provenBytes = hostedCounts.reduce((s, r) => s + BigInt(lengths.get(r.infoHash) ?? 0) * BigInt(r.n), 0n);
  }

  const inputs: (OfferInput & { provenReplicas: number; hostedReplicas: number })[] = torrents.map((t) => {
    const provenBy = proven.get(t.infoHash);
    const hostedReplicas = hostedBy.get(t.infoHash) ?? 0;
    const replicas = basis === "epoch" ? (provenBy?.size ?? 0) : hostedReplicas;
    const mine = node !== undefined && (basis === "epoch" ? provenBy?.has(node) === true : mineHosted.has(t.infoHash));
    // Surge and bounties are neutral until the economics engine supplies them per torrent.
    return { ...t, replicas, mine, provenReplicas: provenBy?.size ?? 0, hostedReplicas };
  });
  const extra = new Map(inputs.map((t) => [t.infoHash, t]));
  const offers = hostingOffers(inputs, { provenBytes, pool: HOSTING_POOL }).map((o) => {
    const t = extra.get(o.infoHash)!;
    return {
      infoHash: o.infoHash,
      name: o.name,
      length: o.length,
      provenReplicas: t.provenReplicas,
      hostedReplicas: t.hostedReplicas,
      replicas: o.replicas,
      mine: t.mine === true,
      scarcityWeight: Number(o.scarcityWeightBps) / 10_000,
      surgeMultiplier: Number(o.surgeBps) / 10_000,
      bountyPerEpoch: o.bountyPerEpoch.toString(),
      expectedRewardPerGB: o.expectedRewardPerGB.toString(),
    };
  });
  return c.json({ basis, epoch: last?.epoch ?? null, hostingPool: HOSTING_POOL.toString(), provenBytes: provenBytes.toString(), node: node ?? null, offers });
});
