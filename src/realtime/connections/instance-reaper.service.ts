import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig, type AppConfig } from '../../config/config.module';
import { UsersService } from '../../users/users.service';
import { ConnectionLifecycle } from './connection-lifecycle';
import { InjectConnectionStore, type ConnectionStore } from './connection-store';
import { LocalSockets } from './local-sockets';
import { RedisConnectionStore } from './redis-connection-store';

const DRAIN_POLL_MS = 25;

/** Beat interval and lease for a TTL: a dead instance is noticed within TTL, and three missed beats in a row are survived. */
export function heartbeatTiming(ttlMs: number): { intervalMs: number; leaseMs: number } {
  const intervalMs = Math.max(100, Math.floor(ttlMs / 5));
  return { intervalMs, leaseMs: Math.max(intervalMs, ttlMs - intervalMs) };
}

/**
 * The life of this instance among the others.
 * - With several instances: heartbeats, and when another instance stops heartbeating (killed
 *   without a clean shutdown), runs the disconnect path for its sockets here, so its users turn
 *   offline and its modals are released everywhere within PRESENCE_TTL_MS.
 * - On shutdown (SIGTERM → app.close()), before anything closes: the hand-over (see `drain`).
 */
@Injectable()
export class InstanceReaper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InstanceReaper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectConnectionStore() private readonly store: ConnectionStore,
    private readonly lifecycle: ConnectionLifecycle,
    private readonly users: UsersService,
    private readonly local: LocalSockets,
  ) {}

  private get redisStore(): RedisConnectionStore | undefined {
    return this.store instanceof RedisConnectionStore ? this.store : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const store = this.redisStore;
    if (!store) return;
    const { intervalMs, leaseMs } = heartbeatTiming(this.config.presenceTtlMs);
    await store.heartbeat(leaseMs);
    this.timer = setInterval(() => {
      this.running ??= this.tick(store, leaseMs).finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  private async tick(store: RedisConnectionStore, leaseMs: number): Promise<void> {
    try {
      if (!(await store.heartbeat(leaseMs))) {
        // Taken for dead (a pause longer than the lease): our registry entries are gone and our
        // users may have been announced offline. Reconnecting every client rebuilds both.
        this.logger.warn(`this instance was taken for dead; reconnecting its ${this.local.dropAll()} socket(s)`);
      }
      const orphans = await store.claimOrphans();
      if (orphans.length === 0) return;
      this.logger.warn(`took over ${orphans.length} socket(s) of instance(s) that stopped heartbeating`);
      const users = new Map((await this.users.findByIds(orphans.map((o) => o.entry.userId))).map((u) => [u.id, u]));
      for (const { entry, counts } of orphans) {
        const user = users.get(entry.userId);
        if (user) await this.lifecycle.disconnected({ socketId: entry.socketId, user, sessionId: entry.sessionId, orphaned: true }, counts);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'instance heartbeat failed');
    }
  }

  /** Before the servers, Redis and the database close (Nest runs this hook before all of those). */
  async beforeApplicationShutdown(): Promise<void> {
    const drained = await this.drain();
    if (this.timer) clearInterval(this.timer);
    await this.running;
    // With sockets left in the registry, keep the heartbeat entry: it expires and a survivor
    // claims them, as for a crash. Otherwise leave at once.
    if (drained) await this.redisStore?.leave().catch(() => undefined);
  }

  /**
   * The hand-over on SIGTERM:
   * 1. stop listening, so the load balancer sends new connections elsewhere; give the events
   *    already received up to a second to be answered while their sockets are still open;
   * 2. close every client's transport: clients reconnect by themselves, to another instance;
   * 3. wait (at most half of SHUTDOWN_TIMEOUT_MS) until every event received was answered (an
   *    acknowledged message is stored) and every socket went through the disconnect path (its
   *    offline/release deadlines are in GraceDeadlines, where the other instances sweep them).
   * Returns whether everything settled in time.
   */
  private async drain(): Promise<boolean> {
    this.local.stopAccepting();
    await this.until(() => this.local.pendingEvents() === 0, Math.min(1000, Math.floor(this.config.shutdownTimeoutMs / 4)));
    const dropped = this.local.dropAll();
    if (dropped) this.logger.log(`handing over ${dropped} connection(s)`);
    const deadline = Date.now() + Math.floor(this.config.shutdownTimeoutMs / 2);
    for (;;) {
      const settled = this.local.count() === 0 && this.local.pendingEvents() === 0 && (await this.registryEmpty());
      if (settled) return true;
      if (Date.now() > deadline) {
        this.logger.warn(
          `shutdown drain timed out: ${this.local.pendingEvents()} event(s) unanswered, ${this.local.count()} socket(s) open`,
        );
        return false;
      }
      this.local.dropAll();
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  private async until(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }

  private async registryEmpty(): Promise<boolean> {
    const store = this.redisStore;
    if (!store) return true;
    try {
      return (await store.localCount()) === 0;
    } catch {
      return true; // Redis is away: nothing to wait for there.
    }
  }
}
