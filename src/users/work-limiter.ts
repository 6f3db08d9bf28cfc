/** Thrown (as a rejected promise) by `WorkLimiter.run` when the wait queue is full; nothing was started. */
export class QueueFullError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('work queue is full');
    this.name = 'QueueFullError';
  }
}

/** Weight of the newest job in the running average of job durations. */
const SMOOTHING = 0.2;

/**
 * At most `concurrency` jobs at once, at most `queueLimit` waiting (first come, first served);
 * past both a job is refused at once with an estimate of when the backlog will have drained.
 * Bounds CPU-heavy work on libuv's threadpool (scrypt) so the pool keeps threads for everything else.
 */
export class WorkLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private averageMs: number;

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
    /** The job duration assumed until one has been measured. */
    initialEstimateMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.averageMs = initialEstimateMs;
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Measured (smoothed) duration of one job. */
  get jobMs(): number {
    return this.averageMs;
  }

  /** How long until the work running and waiting now is done, if nothing else arrives. */
  retryAfterMs(): number {
    return Math.max(1, Math.ceil(((this.running + this.waiting.length) / this.concurrency) * this.averageMs));
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) throw new QueueFullError(this.retryAfterMs());
      // The slot is handed over by the finishing job (running stays counted), so no newcomer overtakes.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    const started = this.now();
    try {
      return await job();
    } finally {
      this.averageMs += SMOOTHING * (this.now() - started - this.averageMs);
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
