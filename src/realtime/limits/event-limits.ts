import type { AppConfig } from '../../config/app-config';
import type { AppSocket } from '../socket.types';
import { TokenBucket } from './token-bucket';
import { LEASE_PENDING, type UserBudget, type UserEventBudgets } from './user-event-budget';

/** Per socket: its own bucket, its user's budget on this instance, and the refusal streak. */
class SocketLimits extends TokenBucket {
  /** Taken at the socket's first event, so idle sockets hold no per-user state. */
  budget?: UserBudget;
  /** Events refused (by either limit) since the last one that was allowed. */
  refusedInARow = 0;
}

/** What the limits decided for one event. */
export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterMs: number; disconnect: boolean };

const ALLOWED: LimitVerdict = { allowed: true };

/**
 * The event rate limits of every socket: the socket's own token bucket (RATE_LIMIT_EVENTS_PER_SEC /
 * _BURST), then its user's budget across their sockets and instances (RATE_LIMIT_USER_*). A token
 * the socket's bucket gave for an event the user's budget refused goes back. A socket refused
 * RATE_LIMIT_DISCONNECT_AFTER times in a row is to be disconnected (it keeps flooding).
 */
export class EventLimits {
  private readonly sockets = new WeakMap<AppSocket, SocketLimits>();

  constructor(
    private readonly rateLimit: AppConfig['rateLimit'],
    private readonly budgets: UserEventBudgets,
  ) {}

  /** Called once per socket when its handlers are bound. */
  track(socket: AppSocket): void {
    this.sockets.set(socket, new SocketLimits(this.rateLimit.eventsPerSecond, this.rateLimit.burst));
  }

  /**
   * Takes a token for one event of `socket`. Synchronous (no promise on the hot path) unless the
   * user's budget must wait for a lease from the shared bucket.
   */
  take(socket: AppSocket): LimitVerdict | Promise<LimitVerdict> {
    const limits = this.sockets.get(socket)!;
    const now = Date.now();
    const retryAfterMs = limits.take(now);
    if (retryAfterMs > 0) return this.refuse(limits, retryAfterMs);
    const budget = (limits.budget ??= this.retainBudget(socket));
    const userRetryAfterMs = budget.take(now);
    if (userRetryAfterMs === LEASE_PENDING) return budget.acquire().then((ms) => this.byBudget(limits, ms));
    return this.byBudget(limits, userRetryAfterMs);
  }

  private byBudget(limits: SocketLimits, retryAfterMs: number): LimitVerdict {
    if (retryAfterMs > 0) {
      limits.giveBack();
      return this.refuse(limits, retryAfterMs);
    }
    limits.refusedInARow = 0;
    return ALLOWED;
  }

  private refuse(limits: SocketLimits, retryAfterMs: number): LimitVerdict {
    limits.refusedInARow += 1;
    return { allowed: false, retryAfterMs, disconnect: limits.refusedInARow >= this.rateLimit.disconnectAfter };
  }

  private retainBudget(socket: AppSocket): UserBudget {
    const budget = this.budgets.retain(socket.data.user.id);
    socket.on('disconnect', () => this.budgets.release(budget));
    return budget;
  }
}
