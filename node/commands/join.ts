// vidya join: stake the gate stake in force and pay the join fee if needed (or bring an
// invite), then join the tracker with a signed MemberJoin and keep the passkey in config.json
// (mode 0600). The tracker says what joining costs now (GET /api/members/access).

import { parseArgs } from "node:util";
import { TrackerApi } from "../api.ts";
import { chainClients } from "../chain/clients.ts";
import { ensureJoinFee, ensureStake, joinFeePaidOf, stakeOf, tokenBalance } from "../chain/stake.ts";
import { buyToJoin } from "./join-buy.ts";
import { DEFAULT_PORT, DEFAULT_REPLAN_SECONDS, ensureHome, normaliseTracker, readJsonFile, saveConfig, type Config } from "../config.ts";
import { DEFAULT_STORAGE_CAP_BYTES } from "../../protocol/params.ts";
import { joinShortfall } from "../../protocol/economics/access.ts";
import { CliError } from "../errors.ts";
import { loadOrCreateWallet } from "../wallet.ts";
import { formatVidya, type Ctx } from "./context.ts";

export async function join(ctx: Ctx, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { tracker: { type: "string" }, invite: { type: "string" }, rpc: { type: "string" }, buy: { type: "boolean", default: false }, slippage: { type: "string" } },
    strict: true,
  });
  const previous = await readJsonFile<Partial<Config>>(ctx.home.config);
  const trackerUrl = values.tracker ?? previous?.tracker;
  if (!trackerUrl) throw new CliError("join needs --tracker URL");
  const tracker = normaliseTracker(trackerUrl);
  await ensureHome(ctx.home);
  const { account, created } = await loadOrCreateWallet(ctx.home);
  if (created) ctx.log(`created wallet ${account.address} in ${ctx.home.wallet}`);
  const api = new TrackerApi(tracker);
  const chain = await api.chain();
  const rpcUrl = values.rpc ?? previous?.rpcUrl;

  let stakeTxs: string[] = [];
  if (!values.invite) {
    const c = chainClients(chain, account, rpcUrl);
    const access = await api.access();
    const gateStake = BigInt(access.gateStake);
    const joinFee = BigInt(access.joinFee);
    ctx.log(`joining by stake costs ${formatVidya(gateStake)} staked and a join fee of ${formatVidya(joinFee)} to stakers (${access.route})`);
    const [held, staked, joinFeePaid] = await Promise.all([tokenBalance(c, account.address), stakeOf(c, account.address), joinFeePaidOf(c, account.address)]);
    const { stake: stakeShort, fee: feeShort } = joinShortfall({ staked, joinFeePaid }, { gateStake, joinFee });
    // Not enough VIDYA for both: buy the rest, stake it and pay the fee in one transaction (--buy), or say how.
    // The purchase covers the fee first, so the VIDYA held goes to the stake alone (one approve and stake, not two).
    const shortfall = stakeShort + feeShort - held;
    if (shortfall > 0n) {
      const buyFee = shortfall < feeShort ? shortfall : feeShort;
      stakeTxs = await buyToJoin(ctx, c, { stake: shortfall - buyFee, fee: buyFee }, held, { buy: values.buy, slippage: values.slippage });
    }
    const r = await ensureStake(c, gateStake);
    stakeTxs.push(...r.txs);
    if (r.staked > 0n) ctx.log(`staked ${formatVidya(r.staked)} for access (tx ${r.txs.at(-1)})`);
    const f = await ensureJoinFee(c, joinFee);
    stakeTxs.push(...f.txs);
    if (f.paid > 0n) ctx.log(`paid the join fee, ${formatVidya(f.paid)}, to stakers (tx ${f.txs.at(-1)})`);
  }
  const joined = await api.join(account, chain.chainId, values.invite);
  const config: Config = {
    port: DEFAULT_PORT,
    storageCap: DEFAULT_STORAGE_CAP_BYTES,
    role: "member",
    interests: [],
    fill: true,
    replanSeconds: DEFAULT_REPLAN_SECONDS,
    ...previous,
    tracker,
    passkey: joined.passkey,
    ...(values.rpc ? { rpcUrl: values.rpc } : {}),
  };
  await saveConfig(ctx.home, config);
  ctx.say(`joined ${tracker} as ${account.address}${values.invite ? " with an invite" : ""}; passkey saved in ${ctx.home.config}`);
  ctx.result({ account: account.address, tracker, invite: Boolean(values.invite), stakeTxs });
}
