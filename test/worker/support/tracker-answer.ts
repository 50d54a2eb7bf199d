// The response rules every tracker answer obeys (TRACKER-NOTES "Writing the response"), shared
// by the announce fuzz test and bench/fuzz.ts: HTTP 200, a bencoded dictionary, and either a
// failure with its retry timers or a valid announce or scrape.

import { asDict, decode, type BDict, type BValue } from "../../../protocol/bencode.ts";
import { binaryToBytes } from "../../../protocol/hex.ts";

export type Outcome = "success" | "failure";

/** The response rules every answer obeys (TRACKER-NOTES "Writing the response"); the problem, if any. */
export function readAnswer(kind: "announce" | "scrape", status: number, body: Uint8Array): { outcome?: Outcome; dict?: BDict; problem?: string } {
  if (status !== 200) return { problem: `HTTP ${status}` };
  let v: BValue;
  try {
    v = decode(body);
  } catch (e) {
    return { problem: `body does not decode: ${(e as Error).message}` };
  }
  let d: BDict;
  try {
    d = asDict(v, "answer");
  } catch {
    return { problem: "body is not a dictionary" };
  }
  const int = (k: string, min: number) => typeof d[k] === "number" && (d[k] as number) >= min;
  if ("failure reason" in d) {
    if (!(d["failure reason"] instanceof Uint8Array) || d["failure reason"].length === 0) return { problem: "failure reason is not a byte string" };
    if (!int("interval", 1) || !int("min interval", 1)) return { problem: "failure without interval and min interval" };
    return { outcome: "failure", dict: d };
  }
  if (kind === "announce") {
    if (!int("interval", 1) || !int("min interval", 1)) return { problem: "announce without interval and min interval" };
    if ((d.interval as number) < (d["min interval"] as number)) return { problem: "interval below min interval" };
    if (!int("complete", 0) || !int("incomplete", 0)) return { problem: "announce without complete and incomplete" };
    if ("downloaded" in d && !int("downloaded", 0)) return { problem: "downloaded is not a count" };
    if (d.peers instanceof Uint8Array) {
      if (d.peers.length % 6 !== 0) return { problem: `peers of ${d.peers.length} bytes` };
    } else if (Array.isArray(d.peers)) {
      // BEP 3's dictionary model (compact=0): ip as text, port, and a 20-byte peer id unless no_peer_id.
      for (const p of d.peers) {
        const e = p as BDict;
        if (!(e.ip instanceof Uint8Array) || typeof e.port !== "number" || e.port < 1 || e.port > 65535) return { problem: "dictionary peer without ip and port" };
        if ("peer id" in e && (!(e["peer id"] instanceof Uint8Array) || e["peer id"].length !== 20)) return { problem: "dictionary peer id is not 20 bytes" };
      }
    } else return { problem: "announce without peers" };
    if ("tracker id" in d && !(d["tracker id"] instanceof Uint8Array)) return { problem: "tracker id is not a string" };
    if ("warning message" in d && !(d["warning message"] instanceof Uint8Array)) return { problem: "warning message is not a string" };
    if ("peers6" in d && (!(d.peers6 instanceof Uint8Array) || d.peers6.length % 18 !== 0)) return { problem: "peers6 is not 18-byte entries" };
    return { outcome: "success", dict: d };
  }
  let files: BDict;
  try {
    files = asDict(d.files, "files");
  } catch {
    return { problem: "scrape without a files dictionary" };
  }
  for (const [k, st] of Object.entries(files)) {
    if (binaryToBytes(k).length !== 20) return { problem: "files key is not 20 bytes" };
    const s = st as BDict;
    if (typeof s !== "object" || s instanceof Uint8Array || ["complete", "incomplete", "downloaded"].some((f) => typeof s[f] !== "number" || (s[f] as number) < 0))
      return { problem: "files entry without complete, incomplete and downloaded" };
  }
  return { outcome: "success", dict: d };
}
