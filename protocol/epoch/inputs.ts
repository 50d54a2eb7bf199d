// The published inputs of an epoch and their hash, committed on-chain beside the roots so
// anyone can re-run the evaluation. The hash is over canonical JSON (keys sorted, no spaces,
// bigints as decimal strings) so every implementation gets the same bytes.

import { keccak256, toBytes, type Hex } from "viem";

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "number") return JSON.stringify(value);
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`cannot canonicalise ${typeof value}`);
}

export function inputsHash(inputs: unknown): Hex {
  return inputsHashOfJson(canonicalJson(inputs));
}

/** The same from the canonical JSON already made (the published file's bytes). */
export function inputsHashOfJson(json: string): Hex {
  return keccak256(toBytes(json));
}
