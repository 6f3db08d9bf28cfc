/**
 * A token bucket per socket: `burst` events at once, refilled at `perSecond`. State is two
 * numbers, checked synchronously on every event, so it costs nothing measurable. A socket lives
 * on one instance, so this state never needs sharing.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Events refused since the last one that was allowed. */
  refusedInARow = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes a token; returns 0 when allowed, else the milliseconds until one is available. */
  take(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusedInARow = 0;
      return 0;
    }
    this.refusedInARow += 1;
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }
}
