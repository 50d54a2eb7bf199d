// vidya node want / unwant: edit the interest list in config.json (info hashes and name
// patterns the node hosts first, whatever they pay: node/hosting/plan.ts). A running node
// sees config.json change and plans again.

import { TrackerApi, type IndexTorrent } from "../api.ts";
import { isInfoHashHex } from "../../protocol/hex.ts";
import { loadConfig, readJsonFile, saveConfig, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import { interestMatcher, matchesInterest, normaliseInterest } from "../hosting/interests.ts";
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
  // The index, read once: to refuse a new pattern that matches nothing (a typo would otherwise
  // sit in the list silently) and to show what the list matches. The tracker may be down.
  let index: IndexTorrent[] | undefined;
  try {
    index = await new TrackerApi(config.tracker).torrents();
  } catch (e) {
    ctx.log(`warning: cannot list the index to check what the list matches: ${(e as Error).message}`);
  }
  if (op === "want" && index) {
    const idx = index;
    const unmatched = given.filter((g) => !isInfoHashHex(g) && !config.interests.includes(g) && !idx.some((t) => matchesInterest(g, t)));
    if (unmatched.length) {
      throw new CliError(
        `${unmatched.map((u) => `"${u}"`).join(", ")} match${unmatched.length === 1 ? "es" : ""} no torrent in the index; nothing saved. ` +
          `A pattern must match the whole name: use * and ? (e.g. "*${unmatched[0]!.replace(/[*?]/g, "")}*")`,
      );
    }
    for (const g of given) if (isInfoHashHex(g) && !idx.some((t) => t.infoHash.toLowerCase() === g)) ctx.log(`warning: ${g} is not in the index (yet); kept on the list`);
  }
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
  const match = interestMatcher(interests);
  const matches = index?.filter(match).map((t) => ({ infoHash: t.infoHash.toLowerCase(), name: t.name, length: t.length }));
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
