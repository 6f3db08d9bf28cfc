import { Inject, type LoggerService } from '@nestjs/common';

/** What a due deadline carries back: the epoch or token the decision must be re-checked against. */
export interface DueDeadline {
  id: string;
  payload: string;
}

/**
 * Pending "after the grace period" decisions (a user going offline, a session's modals being
 * released), kept where every instance can see them. The instance that started a grace period
 * holds a local timer as the fast path; when it dies or shuts down before the timer fires, any
 * other instance's sweep finds the deadline and makes the decision instead. Taking a deadline
 * is atomic, so exactly one instance acts on it, and never before it is due.
 *
 * `kind` separates the users (presence) from the sessions (modals).
 */
export interface GraceDeadlines {
  /** Sets (or replaces) the deadline of `id`, with what to re-check when it is due. */
  schedule(kind: string, id: string, dueAt: number, payload: string): Promise<void>;
  /** Drops the deadline of `id` (it came back). */
  cancel(kind: string, id: string): Promise<void>;
  /** Takes the deadline of `id` if it is due by `now`; undefined when absent or not yet due. */
  takeIfDue(kind: string, id: string, now: number): Promise<string | undefined>;
  /** Takes up to `limit` deadlines due by `now`, earliest first. */
  takeDue(kind: string, now: number, limit: number): Promise<DueDeadline[]>;
}

export const GRACE_DEADLINES = Symbol('GRACE_DEADLINES');
export const InjectGraceDeadlines = () => Inject(GRACE_DEADLINES);

/** How often an instance looks for due deadlines: a fraction of the grace period, at most every second. */
export function sweepIntervalMs(graceMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(graceMs / 2)));
}

const SWEEP_BATCH = 100;
const SWEEP_ROUNDS = 10;

/** Periodically takes due deadlines of one kind and hands them to `handle`; one sweep at a time. */
export class GraceSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly deadlines: GraceDeadlines,
    private readonly kind: string,
    private readonly graceMs: number,
    private readonly handle: (due: DueDeadline[]) => Promise<void>,
    private readonly logger: LoggerService,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    }, sweepIntervalMs(this.graceMs));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Bounded: a backlog larger than ROUNDS × BATCH is finished by the next sweeps. */
  private async sweep(): Promise<void> {
    try {
      for (let round = 0; round < SWEEP_ROUNDS && this.timer; round += 1) {
        const due = await this.deadlines.takeDue(this.kind, Date.now(), SWEEP_BATCH);
        if (due.length) await this.handle(due);
        if (due.length < SWEEP_BATCH) return;
      }
    } catch (err) {
      this.logger.error({ err, kind: this.kind }, 'grace deadline sweep failed');
    }
  }
}
