import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { UsersService } from '../users/users.service';
import { ConnectionLifecycle } from './connection-lifecycle';
import { InjectConnectionStore, type ConnectionStore } from './connection-store';
import { RedisConnectionStore } from './redis-connection-store';

/**
 * With several instances: heartbeats this instance and, when another one stops heartbeating
 * (killed without a clean shutdown), runs the disconnect path for its sockets here, so its
 * users turn offline and its modals are released everywhere within PRESENCE_TTL_MS.
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
  ) {}

  private get redisStore(): RedisConnectionStore | undefined {
    return this.store instanceof RedisConnectionStore ? this.store : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const store = this.redisStore;
    if (!store) return;
    await store.heartbeat(this.config.presenceTtlMs);
    // Three beats per TTL: one missed beat (a GC pause, a slow Redis) is not a death.
    const interval = Math.max(200, Math.floor(this.config.presenceTtlMs / 3));
    this.timer = setInterval(() => {
      this.running ??= this.tick(store).finally(() => (this.running = undefined));
    }, interval);
    this.timer.unref();
  }

  private async tick(store: RedisConnectionStore): Promise<void> {
    try {
      await store.heartbeat(this.config.presenceTtlMs);
      const orphans = await store.claimOrphans();
      if (orphans.length === 0) return;
      this.logger.warn(`took over ${orphans.length} socket(s) of instance(s) that stopped heartbeating`);
      const users = new Map((await this.users.findByIds(orphans.map((o) => o.entry.userId))).map((u) => [u.id, u]));
      for (const { entry, counts } of orphans) {
        const user = users.get(entry.userId);
        if (user) await this.lifecycle.disconnected({ socketId: entry.socketId, user, sessionId: entry.sessionId }, counts);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'instance heartbeat failed');
    }
  }

  /** Before Redis and the database close: stop beating and leave the instance set. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.redisStore?.leave().catch(() => undefined);
  }
}
