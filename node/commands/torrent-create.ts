// vidya torrent create: a private .torrent (v1, v2 or hybrid) of a file or folder with its
// storage root, hashed in one streaming pass (protocol/create/, the same code the upload page
// runs in the browser); with --upload, sent to the site's upload signed by the member's wallet.

import { createReadStream } from "node:fs";
import { lstat, readdir, writeFile } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { parseSize } from "../../protocol/format.ts";
import { BLOCK_SIZE } from "../../protocol/params.ts";
import { createTorrent, type CreateInput } from "../../protocol/create/metainfo.ts";
import { withAnnounce, type MetaVersion } from "../../protocol/torrent.ts";
import { TrackerApi } from "../api.ts";
import { normaliseTracker, readJsonFile, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import { loadWallet } from "../wallet.ts";
import { version as vidyaVersion } from "../cli.ts";
import { formatBytes, type Ctx } from "./context.ts";

const USAGE = "usage: vidya torrent create <path> [--name NAME] [--v2 | --hybrid] [--piece-length SIZE] [--out FILE] [--upload [--category C] [--description TEXT] [--tracker URL]]";

/** Regular files under `root` (a file: itself), as paths relative to it; symbolic links are skipped, not followed. */
async function listFiles(root: string, skip: string, log: (line: string) => void): Promise<{ single: boolean; files: { path: string[]; length: number; abs: string }[] }> {
  const st = await lstat(root).catch(() => undefined);
  if (!st) throw new CliError(`no such file or folder: ${root}`);
  if (st.isFile()) return { single: true, files: [{ path: [basename(root)], length: st.size, abs: root }] };
  if (!st.isDirectory()) throw new CliError(`${root} is neither a file nor a folder`);
  const files: { path: string[]; length: number; abs: string }[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      // A .torrent written into the folder by an earlier run is not part of its payload.
      if (abs === skip) log(`skipping ${abs}: the .torrent being written`);
      else if (e.isDirectory()) await walk(abs);
      else if (e.isFile()) files.push({ path: relative(root, abs).split(sep), length: (await lstat(abs)).size, abs });
      else log(`skipping ${abs}: not a regular file`);
    }
  };
  await walk(root);
  return { single: false, files };
}

export async function torrentCreate(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      name: { type: "string" },
      category: { type: "string" },
      description: { type: "string" },
      v2: { type: "boolean" },
      hybrid: { type: "boolean" },
      "piece-length": { type: "string" },
      out: { type: "string" },
      upload: { type: "boolean" },
      tracker: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new CliError(USAGE, 2);
  if (values.v2 && values.hybrid) throw new CliError("--v2 and --hybrid exclude each other (a hybrid torrent is v1 and v2)", 2);
  const version: MetaVersion = values.v2 ? "v2" : values.hybrid ? "hybrid" : "v1";
  let pieceLength: number | undefined;
  if (values["piece-length"] !== undefined) {
    try {
      pieceLength = parseSize(values["piece-length"]);
    } catch (e) {
      throw new CliError(`--piece-length: ${(e as Error).message}`, 2);
    }
    if (pieceLength % BLOCK_SIZE !== 0) throw new CliError(`--piece-length ${values["piece-length"]} is ${pieceLength} bytes, not a multiple of 16 KiB: write it in KiB or MiB (256KiB, 4MiB)`, 2);
  }
  const config = await readJsonFile<Partial<Config>>(ctx.home.config);
  const tracker = values.tracker ? normaliseTracker(values.tracker) : config?.tracker;
  if (values.upload && !tracker) throw new CliError("--upload needs the site: --tracker URL, or run vidya join first");

  const root = resolve(positionals[0]!);
  const name = values.name ?? basename(root);
  const out = resolve(values.out ?? `${name.replace(/[^\w.\- ]+/g, "_")}.torrent`);
  const listed = await listFiles(root, out, ctx.log);
  const byPath = new Map(listed.files.map((f) => [(listed.single ? [name] : f.path).join("/"), f.abs]));
  const input: CreateInput = {
    name,
    files: listed.files.map((f) => ({ path: listed.single ? [name] : f.path, length: f.length })),
    singleFile: listed.single,
    version,
    pieceLength,
    // The member's own announce URL, so the uploader can seed at once; each download gets its downloader's.
    announce: tracker && config?.passkey && tracker === config.tracker ? `${tracker}/${config.passkey}/announce` : undefined,
    createdBy: `vidya ${vidyaVersion()}`,
  };
  const total = input.files.reduce((s, f) => s + f.length, 0);
  ctx.log(`hashing ${formatBytes(total)} in ${input.files.length} file(s) for a ${version} torrent`);
  let created;
  try {
    created = await createTorrent(input, (entry) => createReadStream(byPath.get(entry.path.join("/"))!, { highWaterMark: 1 << 20 }), hashProgress(ctx));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    throw new CliError((e as Error).message);
  }
  const { torrent, meta, storageRoot } = created;
  await writeFile(out, torrent);
  ctx.say(`wrote ${out}`);
  ctx.say(`  info hash     ${meta.infoHash}${meta.infoHashV2 ? ` (v2 ${meta.infoHashV2})` : ""}`);
  ctx.say(`  version       ${meta.version}, private, ${meta.pieceCount} pieces of ${formatBytes(meta.pieceLength)}, ${formatBytes(meta.length)}`);
  if (storageRoot) ctx.say(`  storage root  ${storageRoot}`);
  else ctx.say(`  storage root  none needed: the per-file pieces roots (BEP 52) are the commitment`);

  let uploaded: { status: string; infoHash: string } | undefined;
  if (values.upload) {
    const account = await loadWallet(ctx.home);
    const api = new TrackerApi(tracker!);
    const chain = await api.chain();
    // The copy sent carries no passkey: the announce URL sits outside the info dict (same info
    // hash), and each member's download gets their own anyway.
    const sent = withAnnounce(torrent, `${tracker}/announce`);
    const t = await api.upload(account, chain.chainId, sent, { storageRoot: storageRoot || undefined, category: values.category, description: values.description });
    uploaded = { status: t.status, infoHash: t.infoHash };
    ctx.say(`uploaded to ${tracker} as ${account.address}: ${t.status === "approved" ? "published" : "waiting for a curator"} (${tracker}/torrents/${t.infoHash})`);
  } else if (values.category !== undefined || values.description !== undefined) ctx.log("--category and --description go with --upload; not uploaded");
  ctx.result({ file: out, infoHash: meta.infoHash, infoHashV2: meta.infoHashV2, version: meta.version, pieceLength: meta.pieceLength, length: meta.length, storageRoot, uploaded });
}

/** Hashing progress on stderr: redrawn in place on a terminal, else a log line every few seconds. */
function hashProgress(ctx: Ctx): (done: number, total: number) => void {
  const started = Date.now();
  const tty = process.stderr.isTTY === true && !ctx.json;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < (tty ? 200 : 5_000)) return;
    last = now;
    const rate = (done * 1000) / Math.max(1, now - started);
    const line = `hashed ${formatBytes(done)} of ${formatBytes(total)} (${((100 * done) / total).toFixed(1)}%, ${formatBytes(rate)}/s)`;
    if (tty) process.stderr.write(`\r${line}\x1b[K${done === total ? "\n" : ""}`);
    else if (done === total || now - started >= 5_000) ctx.log(line);
  };
}
