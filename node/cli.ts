// The `vidya` command: the node (seed, prove, report) and the member's tools (join, get,
// claim, verify). Global options come before or after the command words.

import { resolveHome } from "./config.ts";
import { CliError } from "./errors.ts";
import { ApiError } from "./api.ts";
import { makeCtx, type Ctx } from "./commands/context.ts";
import { nodeInit } from "./commands/node-init.ts";
import { nodeStart } from "./commands/node-start.ts";
import { nodeStatus } from "./commands/node-status.ts";
import { nodeUnwant, nodeWant } from "./commands/node-want.ts";
import { wallet } from "./commands/wallet-init.ts";
import { join } from "./commands/join.ts";
import { get } from "./commands/get.ts";
import { claim } from "./commands/claim.ts";
import { verify } from "./commands/verify.ts";
import { audit } from "./commands/audit.ts";
import { slash } from "./commands/slash.ts";
import { bond } from "./commands/bond.ts";
import { dispute } from "./commands/dispute.ts";

export const USAGE = `vidya: a node and member client for the Vidya private tracker

Usage: vidya [--home DIR] [--json] <command> [options]

Node
  vidya node init --tracker URL [--port N] [--storage-cap BYTES] [--no-fill]
                                  create the home: wallet.json (0600), config.json, data/;
                                  the cap defaults to 5 GB; --no-fill downloads only what
                                  you want (otherwise the rest of the cap is filled with the
                                  torrents that pay most per GB)
  vidya node want [INFOHASH|PATTERN]...
                                  add to the interest list (no argument: show it); patterns
                                  match torrent names, * and ? as in a shell, any case
  vidya node unwant INFOHASH|PATTERN...
                                  remove from the interest list
  vidya node start [--host INFOHASH]... [--port N]
                                  register, host what you want first and then what pays most
                                  per GB within the cap (dropping the least valuable to make
                                  room), answer challenges, report the hosted subset; plans
                                  again when config.json changes or on SIGHUP; until Ctrl-C
  vidya node status               hosted torrents, downloads, pass rate, earned and claimable
                                  tokens, bond and slashes, the next epoch
  vidya dispute [TRANSCRIPT_ID --reason TEXT] [--epoch N]
                                  list this node's failed challenges of an epoch (default: the
                                  last closed), checked against the edge's signature; with an
                                  id, dispute it within the dispute window

Member
  vidya wallet init               create a wallet (vidya join creates one when missing)
  vidya wallet address            print the wallet's address
  vidya join --tracker URL [--invite CODE] [--rpc URL]
                                  stake the access stake if needed (or use an invite), join,
                                  and keep the passkey in config.json (0600)
  vidya get <magnet-or-infohash> [--out DIR]
                                  download a torrent through the tracker

Rewards
  vidya claim [--epoch N] [--rpc URL]
                                  claim earnings against the newest final epoch root
  vidya verify <epoch> [--tracker URL] [--rpc URL] [--allow-forced]
                                  recompute an epoch's earned and slashed roots, its leaves and
                                  inputs hash from the published data; check every challenge's
                                  seed, chained blocks, the edge's and the node's signatures and
                                  that its block is the first at or after the round's due time
                                  (--allow-forced: accept admin-forced rounds, development)
  vidya audit <node> [--torrent INFOHASH] [--tracker URL]
                                  run the edge's chained challenge against a node yourself;
                                  prints its signed answer; exit 1 unless it passes

Bonds and slashes
  vidya bond <amount> [--node ADDRESS] [--tracker URL] [--rpc URL]
                                  bond VIDYA on a node (default: this wallet's own node); a
                                  slash takes from the bond
  vidya slash [NODE]... [--epoch N] [--tracker URL] [--rpc URL]
                                  execute the slashes of a final epoch (default: the newest)
                                  on-chain, for the nodes named or every slashed leaf; anyone
                                  may, paying the gas

Global options
  --home DIR    node home (default $VIDYA_HOME or ~/.vidya)
  --json        print the command's result as JSON on stdout
  -h, --help    this text
`;

type Command = (ctx: Ctx, argv: string[]) => Promise<void>;

const COMMANDS: Record<string, Command | Record<string, Command>> = {
  node: { init: nodeInit, start: nodeStart, status: nodeStatus, want: nodeWant, unwant: nodeUnwant },
  wallet,
  join,
  get,
  claim,
  verify,
  audit,
  bond,
  slash,
  dispute,
};

export async function main(argv: string[]): Promise<number> {
  let homeFlag: string | undefined;
  let json = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--home") {
      homeFlag = argv[++i];
      if (!homeFlag) throw new CliError("--home needs a directory");
    } else if (a.startsWith("--home=")) homeFlag = a.slice("--home=".length);
    else if (a === "--json") json = true;
    else if (a === "-h" || a === "--help" || a === "help") {
      process.stdout.write(USAGE);
      return 0;
    } else rest.push(a);
  }
  const [word, ...args] = rest;
  if (!word) {
    process.stderr.write(USAGE);
    return 2;
  }
  const entry = COMMANDS[word];
  let command: Command | undefined;
  let commandArgs = args;
  if (typeof entry === "function") command = entry;
  else if (entry) {
    command = entry[args[0] ?? ""];
    commandArgs = args.slice(1);
    if (!command) throw new CliError(`unknown command "vidya ${word} ${args[0] ?? ""}"; try vidya --help`);
  }
  if (!command) throw new CliError(`unknown command "${word}"; try vidya --help`);
  const ctx = makeCtx(resolveHome(homeFlag), json);
  await command(ctx, commandArgs);
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}

function errorMessage(e: unknown): { message: string; code: number } {
  if (e instanceof CliError) return { message: e.message, code: e.exitCode };
  if (e instanceof ApiError) return { message: e.message, code: 1 };
  const err = e as NodeJS.ErrnoException;
  // parseArgs' own errors are already readable
  if (err?.code?.startsWith?.("ERR_PARSE_ARGS")) return { message: err.message, code: 2 };
  return { message: err?.message ?? String(e), code: 1 };
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      const { message, code } = errorMessage(e);
      process.stderr.write(`vidya: ${message}\n`);
      if (process.env.VIDYA_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ""}\n`);
      process.exit(code);
    },
  );
}
