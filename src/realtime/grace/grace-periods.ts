import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { PeriodicTask } from '../../common/periodic-task';
import { InjectConfig, type AppConfig } from '../../config/config.module';
import { InjectGraceDeadlines, type DueDeadline, type GraceDeadlines } from './grace-deadlines';

/** What a capability does when periods of its kind end: the ids with the payload they were started with. */
export type GraceHandler = (due: readonly DueDeadline[]) => Promise<void>;

/** How often an instance looks for due deadlines: a fraction of the grace period, at most every second. */
export function sweepIntervalMs(graceMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(graceMs / 2)));
}

const SWEEP_BATCH = 100;
/** Bounded: a backlog larger than ROUNDS × BATCH is finished by the next sweeps. */
const SWEEP_ROUNDS = 10;

/**
 * The one owner of "after a grace period" decisions (a user going offline, a session's modals
 * being released). Each capability registers a kind and says only what happens when a period
 * ends; this class keeps the local timers, the shared deadlines and the sweep.
 *
 * A period is a deadline in GraceDeadlines (Redis with several instances) plus a local timer as
 * the fast path. Every instance sweeps due deadlines, and taking one is atomic, so a decision
 * survives the instance that started it (SIGTERM, crash) and is made exactly once, never before
 * it is due. The handler must re-check what it decides on (a socket may have come back).
 */
@Injectable()
export class GracePeriods implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(GracePeriods.name);
  private readonly kinds: GraceKind[] = [];
  private halted = false;

  constructor(
    @InjectGraceDeadlines() private readonly deadlines: GraceDeadlines,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Registers a kind of period (call it from a constructor); `onDue` runs once per ended period. */
  kind(name: string, onDue: GraceHandler): GraceKind {
    const kind = new GraceKind(name, this.deadlines, onDue, this.logger, () => this.halted);
    this.kinds.push(kind);
    return kind;
  }

  /** True once the application is shutting down: no new decisions are made here any more. */
  get stopped(): boolean {
    return this.halted;
  }

  onApplicationBootstrap(): void {
    for (const kind of this.kinds) kind.sweeper(sweepIntervalMs(this.config.presenceGraceMs)).start();
  }

  /** Sweeps stop before the stores close; a sweep in progress finishes first. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.kinds.map((kind) => kind.stopSweeping()));
  }

  /** Local timers die with the process; their deadlines stay for the other instances to sweep. */
  onApplicationShutdown(): void {
    this.halted = true;
    for (const kind of this.kinds) kind.clearTimers();
  }
}

/** The periods of one kind: start one, cancel one, and the ids this instance has timers for. */
export class GraceKind {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweep?: PeriodicTask;

  constructor(
    readonly name: string,
    private readonly deadlines: GraceDeadlines,
    private readonly onDue: GraceHandler,
    private readonly logger: Logger,
    private readonly halted: () => boolean,
  ) {}

  /** Starts (or restarts) the period of `id`: due in `delayMs`, decided with `payload`. */
  async start(id: string, payload: string, delayMs: number): Promise<void> {
    if (this.halted()) return;
    await this.deadlines.schedule(this.name, id, Date.now() + delayMs, payload);
    this.clearTimer(id);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.fire(id).catch((err: unknown) => this.logger.error({ err, kind: this.name, id }, 'grace period decision failed'));
    }, delayMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  /** `id` came back: its period ends without a decision. */
  async cancel(id: string): Promise<void> {
    this.clearTimer(id);
    await this.deadlines.cancel(this.name, id);
  }

  /** Ids with a period running on this instance's timers. */
  pendingIds(): IterableIterator<string> {
    return this.timers.keys();
  }

  /** The local timer fired: decide unless another instance's sweep already did (or it was cancelled). */
  private async fire(id: string): Promise<void> {
    if (this.halted()) return;
    const payload = await this.deadlines.takeIfDue(this.name, id, Date.now());
    if (payload !== undefined) await this.onDue([{ id, payload }]);
  }

  /** @internal The sweep of this kind's due deadlines (their timers were on an instance that is gone, or are late). */
  sweeper(intervalMs: number): PeriodicTask {
    this.sweep ??= new PeriodicTask({ name: `grace sweep (${this.name})`, intervalMs, logger: this.logger }, async (stopped) => {
      for (let round = 0; round < SWEEP_ROUNDS && !stopped(); round += 1) {
        const due = await this.deadlines.takeDue(this.name, Date.now(), SWEEP_BATCH);
        if (due.length) await this.onDue(due);
        if (due.length < SWEEP_BATCH) return;
      }
    });
    return this.sweep;
  }

  /** @internal */
  async stopSweeping(): Promise<void> {
    await this.sweep?.stop();
  }

  /** @internal At shutdown: the timers stop, their ids stay listed (shutdown hooks may still ask who was pending). */
  clearTimers(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
  }

  private clearTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(id);
  }
}
