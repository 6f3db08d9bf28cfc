import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.module';
import { REDIS, type RedisConnections } from '../redis/redis.providers';
import { RealtimeService } from './realtime.service';
import { RedisTokenBuckets } from './limits/redis-token-buckets';
import { UserEventBudgets } from './limits/user-event-budget';

@Global()
@Module({
  providers: [
    RealtimeService,
    {
      // Per-user event budget: local buckets, plus leases from a shared bucket with REDIS_URL.
      provide: UserEventBudgets,
      inject: [APP_CONFIG, REDIS],
      useFactory: ({ rateLimit }: AppConfig, redis: RedisConnections | null) =>
        new UserEventBudgets(
          rateLimit.userEventsPerSecond,
          rateLimit.userBurst,
          redis ? new RedisTokenBuckets(redis.client, redis.prefix, rateLimit.userEventsPerSecond, rateLimit.userBurst) : undefined,
        ),
    },
  ],
  exports: [RealtimeService, UserEventBudgets],
})
export class RealtimeModule {}
