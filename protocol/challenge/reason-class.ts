// Challenge outcomes by reason class, for /metrics: a transcript's reason is free text
// (protocol/challenge/client.ts, worker/challenge/round.ts) with numbers in it; these classes
// are its stable part. Matched by substring, first match wins; anything else is "other".

export const REASON_CLASSES: readonly { cls: string; contains: string }[] = [
  { cls: "verified", contains: "all blocks verified" },
  { cls: "unreachable", contains: "could not connect" },
  { cls: "deadline", contains: "no complete answer within" },
  { cls: "over_budget", contains: "chained blocks took" },
  { cls: "closed", contains: "connection closed by the node" },
  { cls: "wrong_torrent", contains: "handshake for another info hash" },
  { cls: "no_extension", contains: "does not speak the extension protocol" },
  { cls: "no_extension", contains: "does not support" },
  { cls: "choked", contains: "choked before sending" },
  { cls: "rejected", contains: "rejected the proof request" },
  { cls: "unsigned", contains: "did not sign its answer" },
  { cls: "bad_signature", contains: "is not signed by node" },
  { cls: "no_blocks", contains: "names no blocks" },
  { cls: "short_block", contains: "bytes, expected" },
  { cls: "bad_block", contains: "does not verify against" },
  { cls: "malformed", contains: "malformed proof answer" },
  { cls: "no_path", contains: "no path for block" },
];

export function reasonClass(reason: string): string {
  return REASON_CLASSES.find((c) => reason.includes(c.contains))?.cls ?? "other";
}
