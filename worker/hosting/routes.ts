// What hosting each torrent is expected to pay (DESIGN.md "Buy hosting"): nodes read this to
// choose what to keep. The maths is protocol/hosting/offers.ts, the settlement's own formula;
// this handler only gathers its inputs: every registered torrent with its surge now (the
// `swarms` row its shard last flushed), and the last settlement's total weight, hosting pool,
// counted replicas and bounty balances (worker/economics/last-settlement.ts). Before any epoch
// has closed, the replicas nodes report hosting stand in for proven ones.

import { Hono } from "hono";
import { eq, sql } from "drizzle-orm";
import { hostingOffers, type OfferInput } from "../../protocol/hosting/offers.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError, badRequest } from "../errors.ts";
import { quoteBasis } from "../economics/last-settlement.ts";

export const hostingApi = new Hono<{ Bindings: Env }>();

// GET /api/hosting/offers[?node=0x…]: with `node`, that node's own replicas are not counted
// against it (protocol/hosting/offers.ts `mine`), so what it holds and what it could fetch
// are valued alike.
hostingApi.get("/offers", async (c) => {
  const nodeParam = c.req.query("node");
  if (nodeParam !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(nodeParam)) throw badRequest("node must be 0x and 40 hex digits");
  const node = nodeParam?.toLowerCase();
  const d = db(c.env.DB);
  if (node !== undefined) {
    const n = await d.select({ suspendedAt: schema.nodes.suspendedAt }).from(schema.nodes).where(eq(schema.nodes.address, node)).get();
    if (n && n.suspendedAt !== null) throw new HttpError(403, "node_suspended", "this node is suspended: it gets no hosting offers");
  }

  const torrents = await d
    .select({ infoHash: schema.torrents.infoHash, name: schema.torrents.name, length: schema.torrents.length, surgeBps: schema.swarms.surgeBps })
    .from(schema.torrents)
    .leftJoin(schema.swarms, eq(schema.swarms.infoHash, schema.torrents.infoHash))
    // Only the index's torrents are worth hosting: pending, rejected and removed ones are not offered.
    .where(eq(schema.torrents.status, "approved"))
    .orderBy(schema.torrents.infoHash);
  const hostedCounts = await d.select({ infoHash: schema.hosted.infoHash, n: sql<number>`count(*)` }).from(schema.hosted).groupBy(schema.hosted.infoHash);
  const hostedBy = new Map(hostedCounts.map((r) => [r.infoHash, Number(r.n)]));
  const q = await quoteBasis(c.env, d);

  const inputs: (OfferInput & { provenReplicas: number; hostedReplicas: number })[] = torrents.map((t) => {
    const by = q.replicas.get(t.infoHash);
    const hostedReplicas = hostedBy.get(t.infoHash) ?? 0;
    const replicas = by?.size ?? 0;
    const x: OfferInput & { provenReplicas: number; hostedReplicas: number } = {
      infoHash: t.infoHash,
      name: t.name,
      length: t.length,
      replicas,
      mine: node !== undefined && by?.has(node) === true,
      provenReplicas: q.proven.get(t.infoHash)?.size ?? 0,
      hostedReplicas,
    };
    if (t.surgeBps !== null) x.surgeBps = BigInt(t.surgeBps);
    const bounty = q.bountyLeft.get(t.infoHash);
    if (bounty !== undefined) x.bounty = bounty;
    return x;
  });
  const extra = new Map(inputs.map((t) => [t.infoHash, t]));
  const ctx = q.totalWeight !== undefined ? { provenBytes: q.provenBytes, totalWeight: q.totalWeight, pool: q.pool } : { provenBytes: q.provenBytes, pool: q.pool };
  const skipped: { infoHash: string; reason: string }[] = [];
  const valued = hostingOffers(inputs, ctx, skipped);
  for (const s of skipped) console.warn(`hosting offer for ${s.infoHash} skipped: ${s.reason}`);
  const offers = valued.map((o) => {
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
  // `basis` keeps its two historical values: "epoch" whenever an epoch has closed.
  return c.json({ basis: q.basis === "hosted" ? "hosted" : "epoch", epoch: q.epoch, hostingPool: q.pool.toString(), provenBytes: q.provenBytes.toString(), node: node ?? null, offers });
});
