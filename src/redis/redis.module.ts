import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.module';
import { connectRedis, INSTANCE_ID, newInstanceId, REDIS, type RedisConnections } from './redis.providers';

/**
 * Provides REDIS (null without REDIS_URL) and this instance's id. Stores choose their shared
 * implementation when REDIS is set.
 */
@Global()
@Module({
  providers: [
    { provide: REDIS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => connectRedis(config) },
    { provide: INSTANCE_ID, useFactory: newInstanceId },
  ],
  exports: [REDIS, INSTANCE_ID],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisConnections | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis) return;
    const { client, subscriber } = this.redis;
    await Promise.allSettled([client.quit(), subscriber.quit()]);
    // A quit that failed (Redis away) leaves the client reconnecting forever: stop it.
    client.disconnect();
    subscriber.disconnect();
  }
}
