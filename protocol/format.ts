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
