// Amounts as people type and read them: "100", "0.25", "1e-3" is refused; 18 decimals for
// both VIDYA and ETH. Prices print as ETH a VIDYA with enough digits to mean something.

import { ONE_TOKEN } from "../params.ts";
import { formatEth } from "../format.ts";

/** A positive decimal amount of an 18-decimal token ("100", "0.01") to its smallest unit; `what` names it in the error. */
export function parseAmount(text: string, what: string): bigint {
  const m = /^\s*([0-9]+)(?:\.([0-9]{1,18}))?\s*$/.exec(text);
  if (!m) throw new Error(`not an amount of ${what}: "${text}" (write e.g. 100 or 0.25)`);
  const value = BigInt(m[1]!) * ONE_TOKEN + BigInt((m[2] ?? "").padEnd(18, "0") || "0");
  if (value === 0n) throw new Error(`the amount of ${what} must be more than 0`);
  return value;
}

/** An 18-decimal amount as the exact decimal parseAmount reads back: 10^20 + 5 → "100.000000000000000005". */
export function decimalAmount(wei: bigint): string {
  const frac = (wei % ONE_TOKEN).toString().padStart(18, "0").replace(/0+$/, "");
  return `${wei / ONE_TOKEN}${frac ? `.${frac}` : ""}`;
}

// ETH prints through protocol/format.ts, the one place amounts are formatted for people.
export { formatEth };

/** A price in wei of ETH per VIDYA, to 5 significant digits (rounded), even when tiny: "0.00010000 ETH per VIDYA". */
export function formatPrice(weiPerVidya: bigint): string {
  const decimalsFor = (v: bigint) => Math.min(18, Math.max(4, 18 - (v <= 0n ? 1 : v.toString().length) + 5));
  const halfUnit = (d: number) => (d < 18 ? 10n ** BigInt(18 - d) / 2n : 0n);
  let decimals = decimalsFor(weiPerVidya);
  // Rounding 9…9 up adds a digit: count again (99999.9… → 100000).
  decimals = decimalsFor(weiPerVidya + halfUnit(decimals));
  return `${formatEth(weiPerVidya + halfUnit(decimals), decimals).replace(" ETH", "")} ETH per VIDYA`;
}
