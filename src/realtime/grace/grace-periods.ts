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
  /** The local timers by id, in the order started (restarting one moves it to the end). */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
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
    const dueAt = Date.now() + delayMs;
    await this.deadlines.schedule(this.name, id, dueAt, payload);
    this.clearTimer(id);
    const timer = setTimeout(() => this.fire(id), delayMs);
    timer.unref();
    this.timers.set(id, { timer, dueAt });
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

  /**
   * The timer of `id` fired. Other periods due by now too (a burst of disconnects, or a busy event
   * loop, makes many due at once) go with it, up to SWEEP_BATCH: their deadlines are taken in one
   * call and decided in one handler call, unless another instance's sweep already did (or they
   * were cancelled). The others are scanned in the order started, which is the order due for
   * periods of one length, so the scan stops at the first one not due; any behind it keep their
   * own timers.
   */
  private fire(id: string): void {
    this.timers.delete(id);
    const ids = [id];
    const now = Date.now();
    for (const [other, { timer, dueAt }] of this.timers) {
      if (dueAt > now || ids.length === SWEEP_BATCH) break;
      clearTimeout(timer);
      this.timers.delete(other);
      ids.push(other);
    }
    this.decide(ids).catch((err: unknown) => this.logger.error({ err, kind: this.name, ids: ids.length }, 'grace period decision failed'));
  }

  private async decide(ids: readonly string[]): Promise<void> {
    if (this.halted()) return;
    const due = await this.deadlines.takeIfDue(this.name, ids, Date.now());
    if (due.length) await this.onDue(due);
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
    for (const { timer } of this.timers.values()) clearTimeout(timer);
  }

  private clearTimer(id: string): void {
    const entry = this.timers.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.timers.delete(id);
  }
}
