// vidya dispute: contest a challenge transcript within the epoch's dispute window (DESIGN.md
// "Trust model", docs/interfaces.md "Disputes"). Without a transcript id it lists the node's
// transcripts of the epoch that did not pass, each checked against the edge's published
// transcript key: the signed transcript is the node's evidence. With one it signs an EIP-712
// Dispute and posts it; the edge records and publishes it, and the guardian decides.

import { parseArgs } from "node:util";
import type { Address, Hex } from "viem";
import { verifyTranscript } from "../../protocol/reports/eip712.ts";
import { TrackerApi } from "../api.ts";
import { loadConfig } from "../config.ts";
import { CliError } from "../errors.ts";
import { loadWallet } from "../wallet.ts";
import type { Ctx } from "./context.ts";

export async function dispute(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { epoch: { type: "string" }, reason: { type: "string" } }, allowPositionals: true, strict: true });
  if (positionals.length > 1) throw new CliError("usage: vidya dispute [TRANSCRIPT_ID --reason TEXT] [--epoch N]");
  if (values.epoch !== undefined && !/^[1-9][0-9]*$/.test(values.epoch)) throw new CliError(`--epoch must be a positive integer, got ${values.epoch}`);
  const config = await loadConfig(ctx.home);
  const account = await loadWallet(ctx.home);
  const api = new TrackerApi(config.tracker);
  const chain = await api.chain();
  const epoch = values.epoch !== undefined ? Number(values.epoch) : (await api.epochs()).at(-1)?.epoch;
  if (epoch === undefined) throw new CliError("no epoch has closed yet: name the open one with --epoch N");
  const { transcripts } = await api.transcripts(account.address, epoch);

  const id = positionals[0];
  if (id === undefined) {
    const listed = [];
    for (const t of transcripts.filter((x) => x.verdict !== "pass")) {
      const signed = chain.transcriptSigner ? await verifyTranscript(chain.chainId, t, chain.transcriptSigner as Address) : false;
      listed.push({ id: t.id, round: t.round, infoHash: t.infoHash, verdict: t.verdict, reason: t.reason, attempts: t.attempts, startedAt: t.startedAt, signedByEdge: signed });
      ctx.say(`${t.id}  round ${t.round}  ${t.infoHash}  ${t.verdict} after ${t.attempts} tries: ${t.reason}${signed ? "" : "  (NOT signed by the edge's key)"}`);
    }
    if (listed.length === 0) ctx.say(`no failed challenge of ${account.address} in epoch ${epoch}`);
    ctx.result({ epoch, node: account.address, failed: listed });
    return;
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new CliError(`a transcript id is 0x and 64 hex digits, got ${id}`);
  if (!values.reason?.trim()) throw new CliError("say why with --reason TEXT (the guardian reads it)");
  if (!transcripts.some((t) => t.id.toLowerCase() === id.toLowerCase())) throw new CliError(`no transcript ${id} of ${account.address} in epoch ${epoch}`);
  const { dispute: recorded } = await api.dispute(account, chain.chainId, { epoch, transcriptId: id.toLowerCase() as Hex, reason: values.reason.trim() });
  ctx.say(`disputed ${id} of epoch ${epoch}; recorded at ${new Date(recorded.receivedAt).toISOString()} for the guardian (GET /api/epochs/${epoch}/disputes)`);
  ctx.result({ epoch, node: account.address, dispute: recorded });
}
