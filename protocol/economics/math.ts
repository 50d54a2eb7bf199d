// Integer helpers for the economics engine. Everything that decides an amount is bigint maths
// (no floating point), so the worker, `vidya verify` and the simulation compute the same wei.

export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => (x < lo ? lo : x > hi ? hi : x);

/** ⌊a × b ÷ d⌋ for non-negative operands; d > 0. */
export function mulDiv(a: bigint, b: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError("division by a non-positive number");
  return (a * b) / d;
}

/** Sum of bigints. */
export const sum = (xs: Iterable<bigint>): bigint => {
  let s = 0n;
  for (const x of xs) s += x;
  return s;
};

/** Adds `v` to the entry `k` of `m`. */
export function addTo(m: Map<string, bigint>, k: string, v: bigint): void {
  m.set(k, (m.get(k) ?? 0n) + v);
}

export function requireNonNegative(name: string, v: bigint): void {
  if (v < 0n) throw new RangeError(`${name} must not be negative, got ${v}`);
}
