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

// ETH prints through protocol/format.ts, the one place amounts are formatted for people.
export { formatEth };

/** A price in wei of ETH per VIDYA, with significant digits even when tiny: "0.0001000 ETH per VIDYA". */
export function formatPrice(weiPerVidya: bigint): string {
  const digits = weiPerVidya === 0n ? 1 : weiPerVidya.toString().length;
  // 4 significant digits: enough to see a trade move the price.
  const decimals = Math.min(18, Math.max(4, 18 - digits + 4));
  return `${formatEth(weiPerVidya, decimals).replace(" ETH", "")} ETH per VIDYA`;
}
