// A paged close's intermediate results (settle-paged.ts: a page's tally, weights, settlement) as
// JSON for the scratch table between invocations (worker/epoch/pages.ts): bigints and Maps, which
// JSON drops, are tagged so a page read back is the page computed, to the wei.

const BIG = "$big";
const MAP = "$map";

/** ASCII only (other characters as \u escapes): a length is a byte count, and cutting it in parts never splits a character. */
export function encodeStep(value: unknown): string {
  const json = JSON.stringify(value, function (this: unknown, _k, v: unknown) {
    if (typeof v === "bigint") return { [BIG]: v.toString() };
    if (v instanceof Map) return { [MAP]: [...v] };
    return v;
  });
  return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function decodeStep<T>(json: string): T {
  return JSON.parse(json, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o[BIG] === "string" && Object.keys(o).length === 1) return BigInt(o[BIG]);
      if (Array.isArray(o[MAP]) && Object.keys(o).length === 1) return new Map(o[MAP] as [unknown, unknown][]);
    }
    return v;
  }) as T;
}
