// How amounts read for people: bytes in SI units, $VIDYA in whole tokens. One place, so the
// CLI, the `npm start` summary and the members' site print the same figures.

import { ONE_TOKEN } from "./params.ts";

export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(2)} ${units[i]}`;
}

/** $VIDYA in whole tokens with 4 decimals (rounded down), from wei-like units. */
export function formatVidya(wei: bigint): string {
  const neg = wei < 0n;
  const a = neg ? -wei : wei;
  const whole = a / ONE_TOKEN;
  const frac = ((a % ONE_TOKEN) * 10_000n) / ONE_TOKEN;
  return `${neg ? "-" : ""}${whole}.${frac.toString().padStart(4, "0")} VIDYA`;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/**
 * A size as people write it: `5GB`, `5 GiB`, `500MB`, `1.5 TB`, `5000000` (bytes). SI units are
 * powers of 1000 and IEC units (KiB, MiB…) of 1024, as formatBytes prints SI. Case-insensitive;
 * rounds down to whole bytes. Throws a readable Error on anything else.
 */
export function parseSize(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`not a size: "${text}" (write e.g. 5GB, 5 GiB, 500MB or a number of bytes)`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new Error(`size too large: "${text}"`);
  return bytes;
}
