// A token bucket, the classic rate limiter: at most `burst` tokens, refilled at `perSecond`;
// a request takes its cost or is refused and takes nothing. Pure: the caller passes the clock,
// so tests step time and a clock that goes back never mints tokens.

export class TokenBucket {
  private tokens: number;
  private at: number;
  readonly burst: number;
  readonly perSecond: number;

  constructor(burst: number, perSecond: number, now: number) {
    this.burst = burst;
    this.perSecond = perSecond;
    this.tokens = burst;
    this.at = now;
  }

  /** Takes `cost` tokens if there are that many now; false (and nothing taken) otherwise. */
  take(cost: number, now: number): boolean {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1_000) * this.perSecond);
      this.at = now;
    }
    if (cost > this.tokens) return false;
    this.tokens -= cost;
    return true;
  }
}
