/**
 * A token bucket: `burst` events at once, refilled at `perSecond`. State is two numbers, checked
 * synchronously on every event, so it costs nothing measurable. Used per socket (a socket lives
 * on one instance, so that state never needs sharing) and per user on each instance.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

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
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }

  /** Returns the token of an event that another limit refused after this one allowed it. */
  giveBack(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }
}
