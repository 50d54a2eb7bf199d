// The `vidya` command: the node (seed, prove, report) and the member's tools (join, get,
// claim, verify). Global options come before or after the command words.

// Commands are imported when run, not at start-up: `--help` and `node status` must not load
// webtorrent or viem (start-up ≤ 0.5 s).
import { readFileSync } from "node:fs";
import { join as joinPath } from "node:path";
import { resolveHome } from "./config.ts";
import { CliError } from "./errors.ts";
import { makeCtx, type Ctx } from "./commands/context.ts";
import { nearest } from "./suggest.ts";

export const USAGE = `vidya: a node and member client for the Vidya private tracker

Usage: vidya [--home DIR] [--json] <command> [options]

Node
  vidya node init --tracker URL [--port N] [--storage-cap SIZE] [--bind IP] [--no-fill] [--no-nat]
                                  create the home: wallet.json (0600), config.json, data/;
                                  the cap defaults to 5 GB (sizes as 5GB, 5 GiB, 500MB or
                                  bytes); --no-fill downloads only what you want (otherwise
                                  the rest of the cap is filled with the torrents that pay
                                  most per GB); --bind makes connections leave from IP. Run
                                  again to change the tracker, port, cap or bind address:
                                  the wallet is kept; --no-nat stops mapping the port on
                                  the router (NAT-PMP, UPnP), on by default unless the
                                  tracker is on this machine
  vidya node want [INFOHASH|PATTERN]...
                                  add to the interest list (no argument: show it); patterns
                                  match torrent names, * and ? as in a shell, any case
  vidya node unwant INFOHASH|PATTERN...
                                  remove from the interest list
  vidya node start [--host INFOHASH]... [--port N] [--no-nat]
                                  map the port on the router, register, host what you want first and then what pays most
                                  per GB within the cap (dropping the least valuable to make
                                  room), answer challenges, report the hosted subset; plans
                                  again when config.json changes or on SIGHUP; until Ctrl-C
  vidya node check                the edge dials the running node back as a challenge
                                  would: reachable, or why not (no mapping, CGNAT, firewall,
                                  IPv6 only) and what to do; exit 1 unless reachable
  vidya node status               reachability, hosted torrents, downloads, pass rate, earned and claimable
                                  tokens, bond and slashes, the next epoch
  vidya dispute [TRANSCRIPT_ID --reason TEXT] [--epoch N]
                                  list this node's failed challenges of an epoch (default: the
                                  last closed), checked against the edge's signature; with an
                                  id, dispute it within the dispute window

Member
  vidya wallet init               create a wallet (vidya join creates one when missing)
  vidya wallet address            print the wallet's address
  vidya join --tracker URL [--invite CODE] [--rpc URL] [--buy [--slippage PCT]]
                                  stake the gate stake and pay the join fee in force if needed
                                  (or use an invite), join, and keep the passkey in config.json
                                  (0600); a wallet short of VIDYA is told the ways in, and --buy
                                  buys the rest with ETH, stakes it and pays the fee in one transaction
  vidya buy <VIDYA> | --spend <ETH> [--slippage PCT] [--quote]
                                  buy VIDYA with ETH on Uniswap: quote (price impact, minimum
                                  received or maximum sent), then swap with that bound and a
                                  deadline; --slippage defaults to 0.5; --quote only quotes
  vidya sell <VIDYA> [--slippage PCT] [--quote]
                                  sell VIDYA for ETH on Uniswap, the same way
  vidya bounty <infohash> --spend <ETH> [--slippage PCT] [--quote]
                                  buy hosting: swap ETH for VIDYA and fund the torrent's
                                  bounty, in one transaction
  vidya get <magnet-or-infohash> [--out DIR]
                                  download a torrent through the tracker

Uploader
  vidya torrent create <path> [--name NAME] [--v2 | --hybrid] [--piece-length SIZE] [--out FILE]
                       [--upload [--category C] [--description TEXT] [--tracker URL]]
                                  make a private .torrent of a file or folder (v1 by default;
                                  v2 or hybrid per BEP 52) and print its storage root; the
                                  piece length defaults to about 1,000 pieces (sizes as 256KiB
                                  or 4MiB); --upload sends it to the site's upload, signed by
                                  this wallet, where it waits for a curator

Rewards
  vidya claim [--epoch N] [--rpc URL]
                                  claim earnings against the newest final epoch root
  vidya verify <epoch> [--tracker URL] [--rpc URL] [--allow-forced]
                                  recompute an epoch's earned and slashed roots, its leaves and
                                  inputs hash from the published data; check every challenge's
                                  seed, chained blocks, the edge's and the node's signatures and
                                  that its block is the first at or after the round's due time
                                  (--allow-forced: accept admin-forced rounds, development)
  vidya audit <node> [--torrent INFOHASH] [--source HOST:PORT] [--evidence FILE] [--tracker URL]
                                  run the edge's chained challenge against a node yourself;
                                  prints its signed answer; exit 1 unless it passes; when the
                                  node signed a block that fails, fetches the true block from
                                  --source (any peer with the torrent) and writes fraud evidence
                                  for vidya slash

Bonds and slashes
  vidya bond <amount> [--node ADDRESS] [--tracker URL] [--rpc URL]
                                  bond VIDYA on a node (default: this wallet's own node); a
                                  slash takes from the bond
  vidya slash [NODE]... [--epoch N] [--tracker URL] [--rpc URL]
                                  execute the slashes of a final epoch (default: the newest)
                                  on-chain, for the nodes named or every slashed leaf; anyone
                                  may, paying the gas
  vidya slash <EVIDENCE.json>... [--tracker URL] [--rpc URL]
                                  submit fraud evidence (written by vidya audit): a node's signed
                                  answer with a wrong block hash; slashes its bond at once and
                                  pays you a share

Global options
  --home DIR    node home (default $VIDYA_HOME or ~/.vidya)
  --json        print the command's result as JSON on stdout, log lines as JSON on stderr
  -h, --help    this text
  -V, --version the version of vidya
`;

/** `vidya node` alone, or `vidya node --help`: the node's subcommands, from USAGE itself. */
export const NODE_USAGE = `Usage: vidya [--home DIR] [--json] node <subcommand> [options]

${USAGE.slice(USAGE.indexOf("Node\n") + "Node\n".length, USAGE.indexOf("  vidya dispute"))}`;

type Command = (ctx: Ctx, argv: string[]) => Promise<void>;
type Lazy = () => Promise<Command>;

const COMMANDS: Record<string, Lazy | Record<string, Lazy>> = {
  node: {
    init: async () => (await import("./commands/node-init.ts")).nodeInit,
    start: async () => (await import("./commands/node-start.ts")).nodeStart,
    status: async () => (await import("./commands/node-status.ts")).nodeStatus,
    check: async () => (await import("./commands/node-check.ts")).nodeCheck,
    want: async () => (await import("./commands/node-want.ts")).nodeWant,
    unwant: async () => (await import("./commands/node-want.ts")).nodeUnwant,
  },
  torrent: {
    create: async () => (await import("./commands/torrent-create.ts")).torrentCreate,
  },
  wallet: async () => (await import("./commands/wallet-init.ts")).wallet,
  join: async () => (await import("./commands/join.ts")).join,
  buy: async () => (await import("./commands/market.ts")).buy,
  sell: async () => (await import("./commands/market.ts")).sell,
  bounty: async () => (await import("./commands/market.ts")).bounty,
  get: async () => (await import("./commands/get.ts")).get,
  claim: async () => (await import("./commands/claim.ts")).claim,
  verify: async () => (await import("./commands/verify.ts")).verify,
  audit: async () => (await import("./commands/audit.ts")).audit,
  bond: async () => (await import("./commands/bond.ts")).bond,
  slash: async () => (await import("./commands/slash.ts")).slash,
  dispute: async () => (await import("./commands/dispute.ts")).dispute,
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(joinPath(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/** "unknown command" with the nearest command when one is close (`vidya nod` → node). */
function unknown(typed: string, known: string[], prefix: string): CliError {
  const near = nearest(typed, known);
  const hint = near ? `did you mean "${prefix}${near}"?` : `try ${prefix.trim() ? `${prefix}--help` : "vidya --help"}`;
  return new CliError(`unknown command "${prefix}${typed}"; ${hint}`, 2);
}

export async function main(argv: string[]): Promise<number> {
  let homeFlag: string | undefined;
  let json = false;
  let help = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--home") {
      homeFlag = argv[++i];
      if (!homeFlag) throw new CliError("--home needs a directory");
    } else if (a.startsWith("--home=")) homeFlag = a.slice("--home=".length);
    else if (a === "--json") json = true;
    else if (a === "-V" || a === "--version") {
      process.stdout.write(json ? `${JSON.stringify({ version: version() })}\n` : `vidya ${version()}\n`);
      return 0;
    } else if (a === "-h" || a === "--help" || (a === "help" && rest.length === 0)) help = true;
    else rest.push(a);
  }
  const [word, ...args] = rest;
  if (help) {
    process.stdout.write(word === "node" ? NODE_USAGE : USAGE);
    return 0;
  }
  if (!word) {
    process.stderr.write(USAGE);
    return 2;
  }
  const entry = COMMANDS[word];
  let lazy: Lazy | undefined;
  let commandArgs = args;
  if (typeof entry === "function") lazy = entry;
  else if (entry) {
    const sub = args[0];
    if (sub === undefined) {
      process.stderr.write(word === "node" ? NODE_USAGE : USAGE);
      return 2;
    }
    lazy = entry[sub];
    commandArgs = args.slice(1);
    if (!lazy) throw unknown(sub, Object.keys(entry), `vidya ${word} `);
  }
  if (!lazy) throw unknown(word, Object.keys(COMMANDS), "vidya ");
  const command = await lazy();
  const ctx = makeCtx(resolveHome(homeFlag), json);
  await command(ctx, commandArgs);
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}

function errorMessage(e: unknown): { message: string; code: number } {
  if (e instanceof CliError) return { message: e.message, code: e.exitCode };
  // ApiError (node/api.ts) by name: importing it would load viem at start-up.
  if ((e as Error)?.name === "ApiError") return { message: (e as Error).message, code: 1 };
  const err = e as NodeJS.ErrnoException;
  // parseArgs' own errors are already readable
  if (err?.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    // The nearest option any command takes, read from the usage text (one list, kept with the help).
    const typed = /'(--?[^']+)'/.exec(err.message)?.[1];
    const options = [...new Set(USAGE.match(/--[a-z][a-z-]*/g) ?? [])];
    const near = typed?.startsWith("--") ? nearest(typed.slice(2), options.map((o) => o.slice(2))) : undefined;
    return { message: near ? `unknown option ${typed}; did you mean --${near}?` : err.message, code: 2 };
  }
  if (err?.code?.startsWith?.("ERR_PARSE_ARGS")) return { message: err.message, code: 2 };
  return { message: err?.message ?? String(e), code: 1 };
}

/** Runs the CLI on `argv` and exits with its code (the entry of bin/vidya and of the installed package). */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (e) => {
      const { message, code } = errorMessage(e);
      process.stderr.write(`vidya: ${message}\n`);
      if (process.env.VIDYA_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ""}\n`);
      process.exit(code);
    },
  );
}

if (import.meta.main) run(process.argv.slice(2));
