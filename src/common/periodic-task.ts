import type { LoggerService } from '@nestjs/common';

export interface PeriodicTaskOptions {
  /** Shown in the log line when a run fails. */
  name: string;
  intervalMs: number;
  /** A first run this long after `start()` (default: only on the interval). */
  firstDelayMs?: number;
  logger: LoggerService;
}

/**
 * A background job on an interval (sweeps, heartbeats, flushes): never two runs at once, a failed
 * run is logged and the next one tries again, and `stop()` waits for the run in progress. The
 * job is given `stopped()` so a long run can end between its batches.
 */
export class PeriodicTask {
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<void>;
  private halted = false;

  constructor(
    private readonly options: PeriodicTaskOptions,
    private readonly job: (stopped: () => boolean) => Promise<void>,
  ) {}

  start(): void {
    if (this.timers.length || this.halted) return;
    const tick = () => void this.runNow();
    this.timers.push(setInterval(tick, this.options.intervalMs));
    if (this.options.firstDelayMs !== undefined) this.timers.push(setTimeout(tick, this.options.firstDelayMs));
    for (const timer of this.timers) timer.unref();
  }

  /** Runs the job now, or joins the run in progress; never rejects. */
  runNow(): Promise<void> {
    if (this.halted) return Promise.resolve();
    // Through an async function, so a job that throws at once is caught like one that rejects.
    this.running ??= (async () => this.job(() => this.halted))()
      .catch((err: unknown) => {
        this.options.logger.error({ err }, `${this.options.name} failed`);
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.halted = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    await this.running;
  }
}
