// The edge worker: HTTP tracker, JSON API, admin routes, the cron, and the swarm shards.

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { ReportError } from "../protocol/reports/eip712.ts";
import { chainId, poolFee, type Env } from "./env.ts";
import { HttpError, safeMessage } from "./errors.ts";
import { requireAdmin } from "./admin.ts";
import { announceFastPath, tracker } from "./announce/routes.ts";
import { webSocketTracker } from "./ws/routes.ts";
import { membersApi } from "./members/routes.ts";
import { memberStats } from "./members/stats.ts";
import { nodesApi } from "./nodes/routes.ts";
import { torrentDownload, torrentsAdmin, torrentsApi } from "./torrents/routes.ts";
import { invitesAdmin } from "./members/invites.ts";
import { membersAdmin } from "./members/passkey-reset.ts";
import { memberActionsApi } from "./members/actions.ts";
import { metricsRoute } from "./metrics/routes.ts";
import { clientsAdmin } from "./announce/clients.ts";
import { nodesAdmin } from "./nodes/admin.ts";
import { epochsApi } from "./epoch/routes.ts";
import { hostingApi } from "./hosting/routes.ts";
import { disputeWindowMs, disputesApi } from "./disputes/routes.ts";
import { receiptsApi } from "./receipts/routes.ts";
import { scheduler, unwrap } from "./challenge/scheduler.ts";
import { tick } from "./scheduled.ts";
import { site } from "./web/routes.ts";
import { transcriptSigner } from "./challenge/signer.ts";
import { multicallAddress } from "./chain/client.ts";

export { SwarmShard } from "./swarm/shard.ts";
export { ChallengeScheduler } from "./challenge/scheduler.ts";
export { WsSwarm } from "./ws/swarm.ts";

const app = new Hono<{ Bindings: Env }>();

app.get("/api/chain", (c) =>
  c.json({
    chainId: chainId(c.env),
    // Only a URL configured as public: CHAIN_RPC_URL is the poster's and may carry a provider's key.
    rpcUrl: c.env.PUBLIC_RPC_URL || null,
    token: c.env.TOKEN_ADDRESS ?? null,
    staking: c.env.STAKING_ADDRESS ?? null,
    epochRewards: c.env.EPOCH_REWARDS_ADDRESS ?? null,
    bounties: c.env.BOUNTIES_ADDRESS ?? null,
    escrow: c.env.ESCROW_ADDRESS ?? null,
    badges: c.env.BADGES_ADDRESS ?? null,
    // The token's market: quote and swap on Uniswap v3 (null where the deployment has none).
    weth: c.env.WETH_ADDRESS ?? null,
    uniswapFactory: c.env.UNISWAP_FACTORY_ADDRESS ?? null,
    uniswapRouter: c.env.UNISWAP_ROUTER_ADDRESS ?? null,
    uniswapQuoter: c.env.UNISWAP_QUOTER_ADDRESS ?? null,
    uniswapPositionManager: c.env.UNISWAP_POSITION_MANAGER_ADDRESS ?? null,
    vidyaWethPool: c.env.VIDYA_WETH_POOL_ADDRESS ?? null,
    poolFee: poolFee(c.env),
    hostingRouter: c.env.HOSTING_ROUTER_ADDRESS ?? null,
    // Multicall3 (aggregate3): the site's batched reads (our Aggregate3 on anvil, at the same address).
    multicall3: multicallAddress(c.env),
    transcriptSigner: transcriptSigner(c.env)?.address.toLowerCase() ?? null,
    // Start-up checks compare it with EpochRewards.disputeDelay() (protocol/epoch/dispute-window.ts).
    disputeWindowSeconds: disputeWindowMs(c.env) / 1000,
  }),
);
app.route("/api/members", membersApi);
app.route("/api/members", memberActionsApi);
app.route("/api/nodes", nodesApi);
app.route("/api/torrents", torrentsApi);
app.route("/api/epochs", epochsApi);
app.route("/api/hosting", hostingApi);
app.route("/api/disputes", disputesApi);
app.route("/api/receipts", receiptsApi);

const admin = new Hono<{ Bindings: Env }>();
admin.use("*", requireAdmin);
// Both go through the scheduler, which serialises rounds and epoch changes.
admin.post("/challenges/run", async (c) => c.json({ results: unwrap(await scheduler(c.env).runRound(c.req.query("node"))) }));
admin.post("/epochs/close", async (c) => c.json(unwrap(await scheduler(c.env).close())));
app.route("/admin", admin);
// Each of these checks the admin token itself too.
app.route("/admin", invitesAdmin);
app.route("/admin", membersAdmin);
app.route("/admin", torrentsAdmin);
app.route("/admin", clientsAdmin);
app.route("/admin", nodesAdmin);
app.route("/", metricsRoute);

// The passkey routes (`/:passkey/…`) before the site: the site's middleware (session cookie,
// same-origin form posts) then never runs for a BitTorrent client or an API script. No site
// path has a second segment these routes take (announce, scrape, torrent, stats, torrents).
// A passkey authorises tracker use and reading one's stats only: invites, uploads and passkey
// resets need the site's session or a signed MemberAction (members/actions.ts).
app.get("/:passkey/announce", webSocketTracker); // WebSocket upgrades only; other GETs fall through
app.route("/", tracker);
app.route("/", torrentDownload);
app.route("/", memberStats);

// The members' site: pages at /, /torrents/:infoHash, /me, /signin, /epochs… (worker/web/).
app.route("/", site);

app.notFound((c) => c.json({ error: { code: "not_found", message: "no such route" } }, 404));

app.onError((err, c) => {
  // Messages may quote a chain error, which names the RPC URL: URLs are stripped.
  if (err instanceof HttpError) return c.json({ error: { code: err.code, message: safeMessage(err.message, 2_000) } }, err.status);
  if (err instanceof ReportError) return c.json({ error: { code: "invalid_report", message: err.message } }, 400);
  if (err instanceof HTTPException && err.status < 500) return c.json({ error: { code: "bad_request", message: err.message || "bad request" } }, err.status);
  // Internals stay in the logs: name, message (URLs stripped) and route pattern (paths carry passkeys).
  console.error("unhandled error", err.name, safeMessage(err), c.req.method, c.req.routePath);
  return c.json({ error: { code: "internal", message: "internal error" } }, 500);
});

export default {
  // Announces skip the router (most of the traffic); everything else goes through Hono.
  fetch: (request, env, ctx) => announceFastPath(request, env, ctx) ?? app.fetch(request, env, ctx),
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      tick(env, controller.scheduledTime).then(
        (r) => console.log("tick", JSON.stringify(r)),
        (e: unknown) => console.error("tick failed", e instanceof Error ? e.name : typeof e, safeMessage(e)),
      ),
    );
  },
} satisfies ExportedHandler<Env>;

export { app };
