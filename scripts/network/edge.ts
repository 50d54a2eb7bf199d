// The edge on this machine: the real worker in workerd (`wrangler dev --local`) with its D1
// migrations applied, Durable Objects for the swarms, a fresh admin token and a free port.
// One place for how the edge is started: the local network and the node tests both use it.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { freePort, run, waitFor, type Managed, type ProcessGroup } from "./processes.ts";
import { ROOT, bin, type LocalChain } from "./chain.ts";
import { createPublicClient, http } from "viem";
import { epochRewardsAbi } from "../../contracts/abi.ts";
import { marketVars } from "../../contracts/worker-config.ts";
import { disputeWindowProblem } from "../../protocol/epoch/dispute-window.ts";

export interface EdgeOptions {
  /** Folder of this edge's local D1 and Durable Object state and of its secrets file. */
  dir: string;
  /**
   * With a chain the worker admits members by their on-chain access stake (or an invite) and
   * posts each epoch's root. Without one it admits by invite only and closes epochs without
   * posting (txHash null).
   */
  chain?: LocalChain;
  /** Name of the process and of its log file in the group's log folder. */
  name?: string;
  /** Extra worker vars (wrangler.jsonc names), e.g. CHALLENGE_ROUNDS: "0" to leave rounds to the caller. */
  vars?: Record<string, string>;
  /**
   * wrangler's log level: "warn" (the default) keeps its request log, passkeys in paths, out of the
   * log file; "log" passes workerd's own output through (bench:close reads V8's GC trace there).
   */
  logLevel?: "warn" | "log";
}

export type ApiInit = RequestInit & { admin?: boolean };

/** wrangler dev without its request log (it prints every path, passkeys included): warnings and errors only. */
export const WRANGLER_QUIET_ARGS = ["--log-level", "warn"];
/** …and without the debug log file wrangler otherwise writes every level to. */
export const WRANGLER_QUIET_ENV = { WRANGLER_LOG: "warn", WRANGLER_WRITE_LOGS: "false" };

export interface Edge {
  url: string;
  adminToken: string;
  process: Managed;
  /** JSON from the worker's API; `admin` adds the bearer token; a non-2xx answer throws with its body. */
  api<T>(path: string, init?: ApiInit): Promise<T>;
}

export async function startEdge(group: ProcessGroup, opts: EdgeOptions): Promise<Edge> {
  const port = await freePort();
  const inspector = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = randomBytes(24).toString("hex");
  const state = join(opts.dir, "wrangler-state");
  const envFile = join(opts.dir, ".dev.vars");
  // Secrets reach wrangler through an env file in the run folder (mode 0600), never argv.
  const secrets = [`ADMIN_TOKEN=${adminToken}`, ...(opts.chain ? [`CHAIN_PRIVATE_KEY=${opts.chain.posterKey}`] : [])];
  writeFileSync(envFile, `${secrets.join("\n")}\n`, { mode: 0o600 });
  // Passkeys are in announce paths: wrangler logs each request at info level and copies every
  // level to a debug file (~/.wrangler/logs). Warnings and errors only, and no debug file, so
  // no passkey reaches a log (issue 10, finding 7); our own logs never print one.
  // (Were a debug file written anyway, it would land in the run folder, not ~/.wrangler/logs.)
  const env = { CI: "1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", WRANGLER_LOG_PATH: join(opts.dir, "wrangler-logs"), ...WRANGLER_QUIET_ENV };
  await run(bin("wrangler"), ["d1", "migrations", "apply", "vidya", "--local", "--persist-to", state], { cwd: ROOT, env });
  const vars: Record<string, string> = {
    LOCAL_DEV: "1",
    EPOCH_SECONDS: "60",
    ...(opts.chain
      ? {
          CHAIN_RPC_URL: opts.chain.rpcUrl,
          // A local anvil's URL holds no key: the site and the CLI may read through it.
          PUBLIC_RPC_URL: opts.chain.rpcUrl,
          CHAIN_ID: String(opts.chain.chainId),
          TOKEN_ADDRESS: opts.chain.addresses.token,
          STAKING_ADDRESS: opts.chain.addresses.staking,
          EPOCH_REWARDS_ADDRESS: opts.chain.addresses.epochRewards,
          BOUNTIES_ADDRESS: opts.chain.addresses.bounties,
          ESCROW_ADDRESS: opts.chain.addresses.escrow,
          BADGES_ADDRESS: opts.chain.addresses.badges,
          ...marketVars(opts.chain.market),
          // Disputes are taken until the roots become final on this chain, not for the edge's default.
          DISPUTE_WINDOW_SECONDS: String(opts.chain.disputeDelaySeconds),
        }
      : {}),
    ...opts.vars,
  };
  const proc = group.start(
    opts.name ?? "worker",
    bin("wrangler"),
    [
      "dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
      "--persist-to", state, "--env-file", envFile, "--test-scheduled", "--show-interactive-dev-session=false", ...(opts.logLevel === "log" ? ["--log-level", "log"] : WRANGLER_QUIET_ARGS),
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    { cwd: ROOT, env },
  );
  // A worker that exits while booting (a bundling error, a port taken) fails at once.
  const exited = proc.exited.then((code) => {
    throw new Error(`the worker exited with ${code} while starting; see ${proc.logPath}`);
  });
  exited.catch(() => {}); // once up, a later exit is the caller's to notice
  await Promise.race([waitFor("the worker", async () => ((await fetch(`${url}/api/chain`)).ok ? true : undefined), 120_000, 250), exited]);

  if (opts.chain) await checkDisputeWindow(url, opts.chain);

  const api = async <T>(path: string, init: ApiInit = {}): Promise<T> => {
    const { admin, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (admin) headers.set("authorization", `Bearer ${adminToken}`);
    const res = await fetch(`${url}${path}`, { ...rest, headers });
    const text = await res.text();
    if (!res.ok) throw new Error(`${rest.method ?? "GET"} ${path}: HTTP ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  };
  return { url, adminToken, process: proc, api };
}

/**
 * Fails the start when the running edge would take disputes after the chain's roots are final
 * (DESIGN.md "Trust model": the guardian can disable a root only until then). Read from both
 * sides as they run: the worker's /api/chain and EpochRewards.disputeDelay().
 */
async function checkDisputeWindow(url: string, chain: LocalChain): Promise<void> {
  const { disputeWindowSeconds } = (await (await fetch(`${url}/api/chain`)).json()) as { disputeWindowSeconds: number };
  const pub = createPublicClient({ transport: http(chain.rpcUrl) });
  const delay = await pub.readContract({ address: chain.addresses.epochRewards, abi: epochRewardsAbi, functionName: "disputeDelay" });
  const problem = disputeWindowProblem(disputeWindowSeconds, Number(delay));
  if (problem) throw new Error(`the edge and the chain disagree: ${problem}`);
}
