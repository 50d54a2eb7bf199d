// Reward maths as pure functions (DESIGN.md "The mechanism"). Foundation: hosting rewards
// in proportion to provably hosted bytes; later issues add scarcity, demand and geo weights.

export interface ProvenHosting {
  account: string;
  provenBytes: bigint;
}

/**
 * Splits `pool` in proportion to proven bytes, rounding down; the dust stays unminted so
 * the sum never exceeds the pool. Accounts with nothing proven get nothing.
 */
export function hostingRewards(hosts: ProvenHosting[], pool: bigint): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const total = hosts.reduce((s, h) => s + (h.provenBytes > 0n ? h.provenBytes : 0n), 0n);
  for (const h of hosts) {
    const key = h.account.toLowerCase();
    const share = total === 0n || h.provenBytes <= 0n ? 0n : (pool * h.provenBytes) / total;
    out.set(key, (out.get(key) ?? 0n) + share);
  }
  return out;
}

/** New cumulative totals: previous cumulative plus this epoch's earnings, for every account in either. */
export function addCumulative(previous: Map<string, bigint>, earned: Map<string, bigint>): Map<string, bigint> {
  const out = new Map(previous);
  for (const [k, v] of earned) out.set(k, (out.get(k) ?? 0n) + v);
  return out;
}
