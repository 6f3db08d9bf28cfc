import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { PeriodicTask } from '../../common/periodic-task';
import { InjectConfig, type AppConfig } from '../../config/config.module';
import { EventDispatcher } from '../io/event-dispatcher';
import { InjectClusterMembership, type ClusterMembership } from './cluster-membership';
import { ConnectionLifecycle } from './connection-lifecycle';
import { LocalSockets } from './local-sockets';

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
  private readonly beats: PeriodicTask;
  private readonly leaseMs: number;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectClusterMembership() private readonly membership: ClusterMembership,
    private readonly lifecycle: ConnectionLifecycle,
    private readonly local: LocalSockets,
    private readonly dispatcher: EventDispatcher,
  ) {
    const { intervalMs, leaseMs } = heartbeatTiming(config.presenceTtlMs);
    this.leaseMs = leaseMs;
    this.beats = new PeriodicTask({ name: 'instance heartbeat', intervalMs, logger: this.logger }, () => this.tick());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.membership.heartbeat(this.leaseMs);
    this.beats.start();
  }

  private async tick(): Promise<void> {
    if (!(await this.membership.heartbeat(this.leaseMs))) {
      // Taken for dead (a pause longer than the lease): our registry entries are gone and our
      // users may have been announced offline. Reconnecting every client rebuilds both.
      this.logger.warn(`this instance was taken for dead; reconnecting its ${this.local.dropAll()} socket(s)`);
    }
    const orphans = await this.membership.claimOrphans();
    if (orphans.length === 0) return;
    this.logger.warn(`took over ${orphans.length} socket(s) of instance(s) that stopped heartbeating`);
    for (const { entry, counts } of orphans) await this.lifecycle.disconnected({ ...entry, orphaned: true }, counts);
  }

  /** Before the servers, Redis and the database close (Nest runs this hook before all of those). */
  async beforeApplicationShutdown(): Promise<void> {
    const drained = await this.drain();
    await this.beats.stop();
    // With sockets left in the registry, keep the heartbeat entry: it expires and a survivor
    // claims them, as for a crash. Otherwise leave at once.
    if (drained) await this.membership.leave().catch(() => undefined);
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
    await this.until(() => this.dispatcher.inFlight === 0, Math.min(1000, Math.floor(this.config.shutdownTimeoutMs / 4)));
    const dropped = this.local.dropAll();
    if (dropped) this.logger.log(`handing over ${dropped} connection(s)`);
    const deadline = Date.now() + Math.floor(this.config.shutdownTimeoutMs / 2);
    for (;;) {
      const settled = this.local.count() === 0 && this.dispatcher.inFlight === 0 && (await this.registryEmpty());
      if (settled) return true;
      if (Date.now() > deadline) {
        this.logger.warn(`shutdown drain timed out: ${this.dispatcher.inFlight} event(s) unanswered, ${this.local.count()} socket(s) open`);
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
    try {
      return (await this.membership.localCount()) === 0;
    } catch {
      return true; // Redis is away: nothing to wait for there.
    }
  }
}
