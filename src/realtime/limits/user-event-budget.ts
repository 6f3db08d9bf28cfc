import { Logger } from '@nestjs/common';
import { TokenBucket } from './token-bucket';

/** What a shared bucket answered to a lease: tokens granted, and when the next one exists. */
export interface Lease {
  granted: number;
  /** 0 when everything asked for was granted; else the milliseconds until the next token. */
  retryAfterMs: number;
}

/** A user's bucket shared by every instance (Redis): refilled by time, grants up to `want` tokens. */
export interface SharedTokenBuckets {
  lease(userId: string, want: number): Promise<Lease>;
}

/** `UserBudget#take` could not decide without a lease: call `acquire()`. */
export const LEASE_PENDING = -1;

/** A lease not answered by then counts as failed (Redis unreachable): no event waits longer. */
const LEASE_TIMEOUT_MS = 500;
/** While the shared bucket cannot be reached, each instance counts on its own and tries a lease this often. */
const RETRY_MS = 1000;
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * The per-user event budget (RATE_LIMIT_USER_EVENTS_PER_SEC / RATE_LIMIT_USER_BURST) beside the
 * per-socket bucket. On each instance a user has a local bucket of that size: alone enough on a
 * single instance, and the fallback while Redis is unreachable. With several instances, events
 * also spend tokens leased from the user's shared bucket (Redis) in chunks, so there is no Redis
 * round trip per event: the next lease is asked for when less than half a chunk is left (at most
 * one in flight), and only an event that finds no leased token waits for it (in arrival order).
 * Leased tokens were taken from the shared bucket, so across the cluster a user never gets more
 * than burst + rate·t events; an instance may hold up to a chunk of a user's tokens unspent, so a
 * user spread over n instances may be refused up to chunk × (n − 1) events early.
 *
 * State per user is held only while the user has sockets on this instance (`retain`/`release`).
 */
export class UserEventBudgets {
  private readonly users = new Map<string, UserBudget>();
  private readonly logger = new Logger('UserEventBudget');
  private lastErrorLog = -Infinity;
  /** Tokens a lease asks for (a tenth of the burst, at least 1). */
  readonly chunk: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    readonly shared?: SharedTokenBuckets,
    readonly clock: () => number = Date.now,
  ) {
    this.chunk = Math.max(1, Math.ceil(burst / 10));
  }

  /** The user's budget on this instance; call `release` once for every `retain` (one per socket). */
  retain(userId: string): UserBudget {
    let budget = this.users.get(userId);
    if (!budget) this.users.set(userId, (budget = new UserBudget(this, userId)));
    budget.sockets += 1;
    return budget;
  }

  release(budget: UserBudget): void {
    budget.sockets -= 1;
    if (budget.sockets <= 0 && this.users.get(budget.userId) === budget) this.users.delete(budget.userId);
  }

  /** Users with state on this instance. */
  get size(): number {
    return this.users.size;
  }

  /** @internal */
  leaseFailed(error: unknown): void {
    const now = this.clock();
    if (now - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLog = now;
    this.logger.warn({ err: error }, 'shared per-user event budget unreachable; each instance counts on its own meanwhile');
  }
}

export class UserBudget {
  /** This user's sockets on this instance. */
  sockets = 0;
  private readonly local: TokenBucket;
  /** Shared tokens leased and not spent yet. */
  private credit = 0;
  private leasing?: Promise<void>;
  /** Events waiting for a lease; while any wait, later events queue behind them. */
  private waiting = 0;
  /** The last lease was not granted in full: refuse until `retryAt` once the credit is spent. */
  private short = false;
  private retryAt = 0;
  /** The last lease failed: this instance's bucket alone decides until one succeeds again. */
  private offline = false;
  private nextLeaseAt = 0;

  constructor(
    private readonly owner: UserEventBudgets,
    readonly userId: string,
  ) {
    this.local = new TokenBucket(owner.perSecond, owner.burst, owner.clock());
  }

  /**
   * Takes one event's token: 0 when allowed, the milliseconds to wait when refused, or
   * LEASE_PENDING when the answer needs the lease in flight (then `acquire()` gives it).
   */
  take(now = this.owner.clock()): number {
    const wait = this.local.take(now);
    if (wait > 0 || !this.owner.shared) return wait;
    if (this.offline) {
      if (now >= this.nextLeaseAt) void this.lease();
      return 0;
    }
    if (this.waiting === 0) {
      if (this.credit >= 1) {
        this.credit -= 1;
        if (this.credit < this.owner.chunk / 2) void this.lease();
        return 0;
      }
      if (this.short && now < this.retryAt) return this.refuse(now);
    }
    return LEASE_PENDING;
  }

  /** After `take` answered LEASE_PENDING: waits for leases until a token or a refusal. */
  async acquire(): Promise<number> {
    this.waiting += 1;
    try {
      for (;;) {
        await this.lease();
        const now = this.owner.clock();
        if (this.offline) return 0;
        if (this.credit >= 1) {
          this.credit -= 1;
          return 0;
        }
        if (this.short) return this.refuse(now);
      }
    } finally {
      this.waiting -= 1;
    }
  }

  private refuse(now: number): number {
    // The local bucket's token was taken for an event that is refused after all.
    this.local.giveBack();
    return Math.max(this.retryAt - now, Math.ceil(1000 / this.owner.perSecond));
  }

  /** The lease in flight, or a new one: enough for a chunk again, or for every waiting event. */
  private lease(): Promise<void> {
    if (this.leasing) return this.leasing;
    const { chunk, burst, shared } = this.owner;
    const want = Math.min(burst, Math.max(chunk - this.credit, this.waiting));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('lease timed out')), LEASE_TIMEOUT_MS);
    });
    this.leasing = Promise.race([shared!.lease(this.userId, want), timeout]).then(
      ({ granted, retryAfterMs }) => {
        clearTimeout(timer);
        this.leasing = undefined;
        this.offline = false;
        this.credit += granted;
        this.short = granted < want;
        this.retryAt = this.owner.clock() + retryAfterMs;
      },
      (error: unknown) => {
        clearTimeout(timer);
        this.leasing = undefined;
        this.offline = true;
        this.nextLeaseAt = this.owner.clock() + RETRY_MS;
        this.owner.leaseFailed(error);
      },
    );
    return this.leasing;
  }
}
