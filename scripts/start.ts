// `npm start`: the whole Vidya network on this machine, end to end, with a readable summary.
// Ctrl-C stops every process it started.

import { join } from "node:path";
import { mkdirSync, readdirSync, statSync, readFileSync } from "node:fs";
import { LocalNetwork, type ClaimResult } from "./network/network.ts";
import { nodeRows, renderNodes, renderTable } from "./network/summary.ts";
import { ROOT } from "./network/chain.ts";
import { formatVidya } from "../protocol/format.ts";
import { formatEth, formatPrice } from "../protocol/market/amounts.ts";
import { valueAt } from "../protocol/market/price.ts";
import { INITIAL_PRICE_WEI_PER_VIDYA, LOCAL_POOL_VIDYA } from "../protocol/params.ts";

const t0 = Date.now();
const say = (s: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${s}`);

let net: LocalNetwork | undefined;
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say("stopping every process of the local network");
    await net?.stop();
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

try {
  const runDir = join(ROOT, ".vidya", "run");
  net = await LocalNetwork.start({
    dir: runDir,
    datasetDir: join(ROOT, ".vidya", "dataset"),
    // Every torrent has at least two replicas; node-3 hosts the most.
    nodes: [
      ["retro-arcade-pack", "shareware-classics"],
      ["shareware-classics", "demo-scene-2001.iso"],
      ["retro-arcade-pack", "demo-scene-2001.iso", "homebrew-tools"],
    ],
    disputeDelaySeconds: 5,
    log: say,
  });
  for (const n of net.nodes) say(`${n.name} is seen by the edge at ${n.bindAddress}${n.bindAddress === "127.0.0.1" ? "" : " (its own /24)"}, in ${n.place}`);
  say(`worker at ${net.trackerUrl}, chain at ${net.chain.rpcUrl} (chain id ${net.chain.chainId})`);
  say(`contracts: token ${net.chain.addresses.token}, staking ${net.chain.addresses.staking}, epoch rewards ${net.chain.addresses.epochRewards}`);

  const m = net.chain.market;
  const opening = await net.poolPrice();
  say(`market: Uniswap v3 deployed from its npm bytecode (router ${m.router}, quoter ${m.quoter}); VIDYA/WETH pool ${m.pool} (fee ${m.poolFee / 10_000}%) opens at ${formatPrice(opening)} with the treasury's ${formatVidya(LOCAL_POOL_VIDYA)} and ${formatEth(valueAt(LOCAL_POOL_VIDYA, INITIAL_PRICE_WEI_PER_VIDYA, true))}`);
  // A newcomer with ETH only: `vidya join --buy` swaps, stakes, pays the join fee and joins (HostingRouter).
  const member = await net.joinMember("member-1", { buy: true });
  const b = member.bought!;
  say(`member ${member.address} started with ETH only: bought ${formatVidya(b.staked + b.joinFee)} for ${formatEth(b.paidEth)} on Uniswap, staked ${formatVidya(b.staked)} and paid the ${formatVidya(b.joinFee)} join fee to stakers in one transaction (${b.tx}), then joined`);
  say(`market: the pool now prices VIDYA at ${formatPrice(await net.poolPrice())} (opened at ${formatPrice(opening)})`);
  const wanted = net.dataset.find((t) => t.name === "retro-arcade-pack")!;
  const out = join(runDir, "downloads");
  mkdirSync(out, { recursive: true });
  await net.download(member, wanted.infoHash, out);
  const src = join(wanted.dataDir, wanted.name);
  const same = filesUnder(src).every((f) => readFileSync(f).equals(readFileSync(join(out, wanted.name, f.slice(src.length)))));
  const got = filesUnder(join(out, wanted.name)).reduce((s, f) => s + statSync(f).size, 0);
  say(`member downloaded ${wanted.name} (${got} bytes) through the tracker: ${same ? "identical to the source" : "DIFFERS FROM THE SOURCE"}`);

  const results = [...(await net.runChallenges()), ...(await net.runChallenges())];
  say(`challenge rounds done: ${results.filter((r) => r.verdict === "pass").length} passed, ${results.filter((r) => r.verdict !== "pass").length} failed`);

  const epoch = await net.closeEpoch();
  say(`epoch ${epoch.epoch} closed: root ${epoch.root} posted in tx ${epoch.txHash}`);
  await net.waitFinal(epoch.epoch);
  say(`epoch ${epoch.epoch} is final after the dispute delay`);

  const claims = new Map<string, ClaimResult>();
  for (const n of net.nodes) claims.set(n.name, await net.claim(n));
  const verify = await net.verify(epoch.epoch);
  const allVerified = verify.verified && verify.slashedVerified && verify.inputsVerified && verify.evaluationVerified && verify.challengesVerified;
  say(`vidya verify ${epoch.epoch}: recomputed ${verify.recomputedRoot} from the published leaves, on-chain ${verify.onChainRoot}: ${verify.verified ? "VERIFIED" : "MISMATCH"}`);
  say(`vidya verify ${epoch.epoch}: slashed root ${verify.slashedVerified ? "verified" : "MISMATCH"}, inputs hash ${verify.inputsVerified ? "verified" : "MISMATCH"}, leaves re-evaluated from the transcripts ${verify.evaluationVerified ? "verified" : "MISMATCH"}, challenges re-derived ${verify.challengesVerified ? "verified" : "MISMATCH"}`);

  console.log("\nNodes\n");
  console.log(renderNodes(await nodeRows(net, claims, epoch.epoch)));
  console.log("\nTransactions\n");
  console.log(
    renderTable(
      ["what", "tx hash"],
      [
        ...Object.entries(net.chain.deployTxs).map(([k, v]) => [`deploy ${k}`, v]),
        [`member-1 swap, stake, join fee and join`, member.bought!.tx],
        [`post epoch ${epoch.epoch} root`, epoch.txHash ?? "-"],
        ...[...claims].map(([n, c]) => [`claim by ${n}`, c.txHash ?? "-"]),
      ],
    ),
  );
  console.log(`\nThe network keeps running: tracker ${net.trackerUrl}, chain ${net.chain.rpcUrl}, logs in ${join(runDir, "logs")}.`);
  console.log("The cron fires every minute: each epoch closes a minute after it opens, once a node has earned. Press Ctrl-C to stop it.");
  if (process.env.VIDYA_START_EXIT === "1" || !allVerified || !same) await shutdown(allVerified && same ? 0 : 1);
  // Cloudflare fires the cron every minute; wrangler dev only on request, so we do.
  net.startCron();
  let shown = epoch.epoch;
  setInterval(() => {
    void net!.epochs().then(
      (list) => {
        for (const e of list.filter((x) => x.epoch > shown)) {
          say(`epoch ${e.epoch} closed by the cron: ${formatVidya(BigInt(e.totalEarned))} earned, root ${e.root}${e.txHash ? ` posted in tx ${e.txHash}` : ""}`);
          shown = e.epoch;
        }
      },
      (err: Error) => say(`reading the epochs failed: ${err.message}`),
    );
  }, 10_000);
} catch (e) {
  console.error(`\nnpm start failed: ${(e as Error).message}`);
  await shutdown(1);
}
