// POST /api/nodes/check (issue 15 part 1, `vidya node check`): the edge dials a node back
// exactly as a challenge round would (cloudflare:sockets connect() to its registered endpoint,
// the BitTorrent handshake, chained blocks, their merkle paths, the node's signed answer), so
// an operator learns before any round whether challenges can reach the node. Nothing is
// recorded as a transcript: a check never earns or costs. One check per node per
// NODE_CHECK_INTERVAL_SECONDS: each opens a connection from the edge. The edge dials only the
// endpoint it saw the node register from, so a check cannot aim it at someone else.

import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Hex } from "viem";
import type { Context } from "hono";
import { ZERO_BLOCK_HASH, deriveChallenge } from "../../protocol/challenge/schedule.ts";
import { toHex } from "../../protocol/hex.ts";
import type { CheckAnswer } from "../../protocol/net/reachability.ts";
import { NODE_CHECK_INTERVAL_SECONDS } from "../../protocol/params.ts";
import { chainId, secondsVar, type Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { edgeAddress } from "../edge.ts";
import { acceptReport, readJson } from "../reports.ts";
import { challengeOnce, deadlineOf, dialTcp, loadNodes, openEpoch, type Dial } from "../challenge/round.ts";

/** Tests replace the dial; production and the local network use cloudflare:sockets. */
export async function checkNode(c: Context<{ Bindings: Env }>, dial: Dial = dialTcp): Promise<CheckAnswer> {
  const seenHost = edgeAddress(c.req.raw.headers, c.env);
  if (!seenHost) throw new HttpError(400, "no_endpoint", "cannot determine the address the edge sees");
  const message = await acceptReport(c.env, "NodeCheck", await readJson(c.req));
  const node = message.node.toLowerCase();
  const d = db(c.env.DB);
  const row = await d.select({ host: schema.nodes.host, port: schema.nodes.port, checkedAt: schema.nodes.checkedAt }).from(schema.nodes).where(eq(schema.nodes.address, node)).get();
  if (!row) throw new HttpError(409, "not_registered", "register the node (vidya node start) before checking it");
  const now = Date.now();
  const interval = secondsVar(c.env.NODE_CHECK_INTERVAL_SECONDS, NODE_CHECK_INTERVAL_SECONDS);
  // Claim the slot first (a conditional write), so two checks at once cannot both dial.
  const since = now - interval * 1000;
  const claimed = await d
    .update(schema.nodes)
    .set({ checkedAt: now })
    .where(and(eq(schema.nodes.address, node), or(isNull(schema.nodes.checkedAt), lt(schema.nodes.checkedAt, since))))
    .returning({ address: schema.nodes.address });
  if (claimed.length === 0) {
    const wait = Math.max(1, Math.ceil(((row.checkedAt ?? now) + interval * 1000 - now) / 1000));
    throw new HttpError(429, "check_too_soon", `one check per ${interval} s per node; try again in ${wait} s`);
  }

  const endpoint = { host: row.host, port: row.port };
  const [targets] = await loadNodes(d, [node]);
  const torrent = targets?.hosted[0];
  let answer: Omit<CheckAnswer, "node" | "seenHost" | "endpoint" | "checkedAt">;
  if (torrent) {
    // The round's own code path with fresh randomness and round 0 of the open epoch; its
    // transcript is not stored, so a check is never a round's input.
    const randomness = `0x${toHex(crypto.getRandomValues(new Uint8Array(32)))}` as Hex;
    let challenge: ReturnType<typeof deriveChallenge> | undefined;
    try {
      challenge = deriveChallenge(randomness, torrent);
    } catch (e) {
      console.warn(`check of node ${node}: ${torrent.infoHash} cannot be challenged (${(e as Error).message}); dialling only`);
    }
    if (challenge) {
      const t = await challengeOnce({ node, host: row.host, port: row.port, hosted: [torrent] }, torrent, challenge, dial, {
        chainId: chainId(c.env),
        epoch: await openEpoch(d),
        round: 0,
        randomness,
        beacon: ZERO_BLOCK_HASH,
      }, Date.now, deadlineOf(c.env));
      answer = { ok: t.outcome.verdict === "pass", verdict: t.outcome.verdict, reason: t.outcome.reason, infoHash: torrent.infoHash, durationMs: t.outcome.durationMs };
    } else answer = await dialOnly(dial, endpoint, deadlineOf(c.env));
  } else answer = await dialOnly(dial, endpoint, deadlineOf(c.env));

  await d.update(schema.nodes).set({ checkVerdict: answer.verdict, checkReason: answer.reason.slice(0, 500) }).where(eq(schema.nodes.address, node));
  return { node, seenHost, endpoint, ...answer, checkedAt: now };
}

/** A node that hosts nothing yet: the TCP connect a challenge starts with, within a challenge's deadline. */
async function dialOnly(dial: Dial, e: { host: string; port: number }, deadlineMs: number): Promise<Omit<CheckAnswer, "node" | "seenHost" | "endpoint" | "checkedAt">> {
  const started = Date.now();
  let conn: ReturnType<Dial> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    conn = dial(e.host, e.port);
    // A filtered port never answers the SYN: that is a timeout, not an open port.
    const outcome = await Promise.race([
      (conn.opened ?? conn.readable.getReader().closed).then(() => "open", (err: Error) => `refused: ${err.message}`),
      new Promise<string>((r) => (timer = setTimeout(() => r("timeout"), deadlineMs))),
    ]);
    const ok = outcome === "open";
    const verdict = ok ? "open" : outcome === "timeout" ? "timeout" : "refused";
    return { ok, verdict, reason: ok ? "the port accepted the connection (nothing hosted yet to challenge)" : outcome === "timeout" ? `no answer within ${deadlineMs} ms` : `could not connect (${outcome})`, infoHash: null, durationMs: Date.now() - started };
  } catch (err) {
    return { ok: false, verdict: "refused", reason: `could not connect: ${(err as Error).message}`, infoHash: null, durationMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
    conn?.close();
  }
}
