// The member's interest list (config.json `interests`): info hashes and name patterns of the
// torrents they want hosted whatever those pay. A pattern is a shell-style glob over the
// torrent's name, case-insensitive: `*` any characters, `?` one; without a wildcard it must
// match the whole name ("Retro*" or "*arcade*", not "arcade").

import { isInfoHashHex } from "../../protocol/hex.ts";
import { CliError } from "../errors.ts";

/** A 40-hex info hash (any case, or a magnet's btih) becomes lowercase; a pattern is kept as typed. */
export function normaliseInterest(raw: string): string {
  const s = raw.trim();
  if (!s) throw new CliError("an interest is an info hash or a name pattern, not an empty string");
  if (isInfoHashHex(s.toLowerCase())) return s.toLowerCase();
  if (s.startsWith("magnet:")) {
    const xt = new URL(s).searchParams.getAll("xt").find((x) => /^urn:btih:[0-9a-f]{40}$/i.test(x));
    if (!xt) throw new CliError(`only hex btih magnet links can be interests: ${s}`);
    return xt.slice("urn:btih:".length).toLowerCase();
  }
  return s;
}

function globToRegExp(pattern: string): RegExp {
  const body = Array.from(pattern, (ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&"))).join("");
  return new RegExp(`^${body}$`, "is");
}

export function matchesInterest(interest: string, t: { infoHash: string; name: string }): boolean {
  if (isInfoHashHex(interest)) return interest === t.infoHash.toLowerCase();
  return globToRegExp(interest).test(t.name);
}

/** A matcher over the list, compiled once. */
export function interestMatcher(interests: readonly string[]): (t: { infoHash: string; name: string }) => boolean {
  const hashes = new Set(interests.filter(isInfoHashHex));
  const patterns = interests.filter((i) => !isInfoHashHex(i)).map(globToRegExp);
  return (t) => hashes.has(t.infoHash.toLowerCase()) || patterns.some((p) => p.test(t.name));
}
