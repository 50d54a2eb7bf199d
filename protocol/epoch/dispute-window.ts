// The edge's dispute window against the chain's finality (DESIGN.md "Trust model", flow 6):
// EpochRewards makes an epoch's roots final `disputeDelay` seconds after they are posted, and
// until then the guardian can disable them. A dispute the edge accepts is only worth something
// while the guardian can still act on it, so the edge's window (counted from the epoch's close,
// which precedes the post) must be no longer than the chain's delay.

/** Why `windowSeconds` (the edge's DISPUTE_WINDOW_SECONDS) does not fit the chain's `disputeDelaySeconds`; undefined when it does. */
export function disputeWindowProblem(windowSeconds: number, disputeDelaySeconds: number): string | undefined {
  if (!(windowSeconds > 0)) return `the edge's dispute window (${windowSeconds} s) must be positive`;
  if (windowSeconds > disputeDelaySeconds)
    return `the edge accepts disputes for ${windowSeconds} s after an epoch closes, but the chain makes its roots final ${disputeDelaySeconds} s after they are posted: disputes would arrive after the guardian can disable a root (set DISPUTE_WINDOW_SECONDS to at most ${disputeDelaySeconds})`;
  return undefined;
}
