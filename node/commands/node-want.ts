// vidya node want / unwant: edit the interest list in config.json (info hashes and name
// patterns the node hosts first, whatever they pay: node/hosting/plan.ts). A running node
// sees config.json change and plans again.

import { TrackerApi } from "../api.ts";
import { loadConfig, readJsonFile, saveConfig, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import { interestMatcher, normaliseInterest } from "../hosting/interests.ts";
import { formatBytes, type Ctx } from "./context.ts";

export async function nodeWant(ctx: Ctx, argv: string[]): Promise<void> {
  await editInterests(ctx, argv, "want");
}

export async function nodeUnwant(ctx: Ctx, argv: string[]): Promise<void> {
  if (argv.length === 0) throw new CliError("usage: vidya node unwant <infohash|pattern>...");
  await editInterests(ctx, argv, "unwant");
}

async function editInterests(ctx: Ctx, argv: string[], op: "want" | "unwant"): Promise<void> {
  for (const a of argv) if (a.startsWith("-")) throw new CliError(`unknown option ${a}; usage: vidya node ${op} <infohash|pattern>...`);
  const config = await loadConfig(ctx.home);
  const given = argv.map(normaliseInterest);
  let interests = [...config.interests];
  const unknown: string[] = [];
  if (op === "want") for (const g of given) if (!interests.includes(g)) interests.push(g);
  if (op === "unwant") {
    for (const g of given) if (!interests.includes(g)) unknown.push(g);
    interests = interests.filter((i) => !given.includes(i));
  }
  if (argv.length > 0) {
    // Keep every other key exactly as it is on disk (the passkey among them).
    const raw = (await readJsonFile<Partial<Config>>(ctx.home.config)) ?? {};
    await saveConfig(ctx.home, { ...config, ...raw, interests } as Config);
  }
  for (const u of unknown) ctx.log(`warning: ${u} was not on the interest list`);

  // What the list matches in the index now (best effort: the tracker may be down).
  let matches: { infoHash: string; name: string; length: number }[] | undefined;
  try {
    const match = interestMatcher(interests);
    matches = (await new TrackerApi(config.tracker).torrents()).filter(match).map((t) => ({ infoHash: t.infoHash.toLowerCase(), name: t.name, length: t.length }));
  } catch (e) {
    ctx.log(`warning: cannot list the matching torrents: ${(e as Error).message}`);
  }
  if (interests.length === 0) ctx.say(`the interest list is empty${config.fill ? "; the node hosts what pays most per GB" : ""}`);
  else {
    ctx.say("interest list:");
    for (const i of interests) ctx.say(`  ${i}`);
  }
  if (matches) {
    ctx.say(`matching ${matches.length} torrent(s) in the index, ${formatBytes(matches.reduce((s, m) => s + m.length, 0))} (storage cap ${formatBytes(config.storageCap)})`);
    for (const m of matches) ctx.say(`  ${m.infoHash}  ${m.name}  ${formatBytes(m.length)}`);
  }
  if (argv.length > 0) ctx.say("a running node applies the change at once");
  ctx.result({ interests, matches: matches ?? null });
}
