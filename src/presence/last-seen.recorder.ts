import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { RealtimeService } from '../realtime/realtime.service';
import { UsersRepository } from '../users/users.repository';
import { InjectPresenceStore, type PresenceStore } from './presence.store';
import { PresenceService } from './presence.service';

/**
 * Users per last-seen write: far below the engines' bind-parameter limits, and short enough on
 * SQLite (synchronous, on the event loop) that a write of many users never stalls it for long.
 */
const LAST_SEEN_BATCH = 250;

/**
 * Keeps `lastSeenAt` true for the users this instance holds (a socket here, or an offline decision
 * pending on this instance's timers) when the instance goes away without announcing them offline:
 * - SIGTERM: last seen = now for all of them, before the hand-over closes any socket, and once
 *   more at the end for those who came and went during it (the database closes after that);
 * - a crash (kill -9): nothing runs any more, so the same write runs every LAST_SEEN_FLUSH_MS and
 *   the last one stands: last seen is at most that much before the real time.
 * A user who turns offline elsewhere later gets a later last seen then.
 */
@Injectable()
export class LastSeenRecorder implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(LastSeenRecorder.name);
  private readonly periodic: PeriodicTask;
  /** Users whose last seen the shutdown already wrote. */
  private readonly written = new Set<string>();

  constructor(
    @InjectPresenceStore() private readonly store: PresenceStore,
    @InjectConfig() config: AppConfig,
    private readonly users: UsersRepository,
    private readonly realtime: RealtimeService,
    private readonly presence: PresenceService,
  ) {
    this.periodic = new PeriodicTask({ name: 'periodic last-seen write', intervalMs: config.lastSeenFlushMs, logger: this.logger }, () =>
      this.write(this.heldUserIds()),
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  /** Shutdown starts here (Nest runs every onModuleDestroy before any beforeApplicationShutdown). */
  async onModuleDestroy(): Promise<void> {
    await this.periodic.stop();
    const held = this.heldUserIds();
    for (const id of held) this.written.add(id);
    await this.write(held).catch((err: unknown) => this.logger.error({ err }, 'last-seen write at shutdown failed'));
  }

  /** The hand-over is over; the database and Redis close only after this hook. */
  async onApplicationShutdown(): Promise<void> {
    const late = [...this.heldUserIds()].filter((id) => !this.written.has(id));
    await this.write(new Set(late)).catch((err: unknown) => this.logger.error({ err }, 'last-seen write at shutdown failed'));
  }

  private heldUserIds(): Set<string> {
    const ids = this.realtime.localUserIds();
    for (const id of this.presence.pendingOfflineIds()) ids.add(id);
    return ids;
  }

  /**
   * last_seen_at = now for `ids`, through the WriteBatcher, LAST_SEEN_BATCH at a time with a turn
   * of the event loop between batches. Invisible users are skipped: their last seen is the moment
   * they went invisible, and moving it would tell others they are still around.
   */
  private async write(ids: ReadonlySet<string>): Promise<void> {
    const all = [...ids];
    for (let i = 0; i < all.length; i += LAST_SEEN_BATCH) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const batch = all.slice(i, i + LAST_SEEN_BATCH);
      const states = await this.store.get(batch);
      const visible = batch.filter((id) => states.get(id)?.status !== 'invisible');
      await this.users.setLastSeen(visible, new Date().toISOString());
    }
  }
}
