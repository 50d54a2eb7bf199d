// How amounts read for people: bytes in SI units, $VIDYA and ETH as tokens with decimals, never
// wei. One place, so the CLI, the API's messages, the `npm start` summary and the members' site
// print the same figures.

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

/**
 * An 18-decimal amount (wei-like units) as tokens with `decimals` places, rounded down, and its
 * symbol. A non-zero amount too small for those places reads "<0.0001", never "0.0000", so a
 * shortfall of a few wei does not read as none.
 */
export function formatToken(wei: bigint, symbol: string, decimals = 4): string {
  const neg = wei < 0n;
  const a = neg ? -wei : wei;
  const scale = 10n ** BigInt(decimals);
  const whole = a / ONE_TOKEN;
  const frac = ((a % ONE_TOKEN) * scale) / ONE_TOKEN;
  if (a > 0n && whole === 0n && frac === 0n) return `${neg ? ">-" : "<"}0.${"0".repeat(decimals - 1)}1 ${symbol}`;
  return `${neg ? "-" : ""}${whole}${decimals > 0 ? `.${frac.toString().padStart(decimals, "0")}` : ""} ${symbol}`;
}

/** $VIDYA with 4 decimals (rounded down), from wei-like units. */
export function formatVidya(wei: bigint): string {
  return formatToken(wei, "VIDYA");
}

/**
 * An ETH worth beside a VIDYA figure ("≈ 0.00000999 ETH"): at least 6 decimals and 3 significant
 * digits, so the price of a GB (a few millionths of an ETH) does not read as 0.000009 or 0.
 */
export function formatEthWorth(wei: bigint): string {
  const a = wei < 0n ? -wei : wei;
  if (a === 0n) return formatToken(0n, "ETH", 6);
  return formatToken(wei, "ETH", Math.min(18, Math.max(6, 18 - a.toString().length + 3)));
}

/** ETH with 6 decimals by default (rounded down), from wei: a GB costs far less than 0.0001 ETH at launch prices. */
export function formatEth(wei: bigint, decimals = 6): string {
  return formatToken(wei, "ETH", decimals);
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
