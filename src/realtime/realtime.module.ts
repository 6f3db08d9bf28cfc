import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../config/config.module';
import { INSTANCE_ID, REDIS, type RedisConnections } from '../redis/redis.providers';
import { CLUSTER_MEMBERSHIP, SingleInstanceMembership } from './connections/cluster-membership';
import { ConnectionLifecycle } from './connections/connection-lifecycle';
import { CONNECTION_STORE, type ConnectionStore } from './connections/connection-store';
import { InMemoryConnectionStore } from './connections/in-memory-connection-store';
import { InstanceReaper } from './connections/instance-reaper.service';
import { LocalSockets } from './connections/local-sockets';
import { RedisClusterMembership } from './connections/redis-cluster-membership';
import { RedisConnectionStore } from './connections/redis-connection-store';
import { GRACE_DEADLINES } from './grace/grace-deadlines';
import { GracePeriods } from './grace/grace-periods';
import { InMemoryGraceDeadlines } from './grace/in-memory-grace-deadlines';
import { RedisGraceDeadlines } from './grace/redis-grace-deadlines';
import { EventDispatcher } from './io/event-dispatcher';
import { IoServer } from './io-server';
import { RedisTokenBuckets } from './limits/redis-token-buckets';
import { UserEventBudgets } from './limits/user-event-budget';
import { RealtimeService } from './realtime.service';

/**
 * The realtime floor: socket.io plumbing and connection infrastructure every capability builds
 * on. Each store is in-process on a single instance and in Redis with REDIS_URL.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    IoServer,
    RealtimeService,
    EventDispatcher,
    ConnectionLifecycle,
    GracePeriods,
    InstanceReaper,
    LocalSockets,
    {
      provide: CONNECTION_STORE,
      inject: [REDIS, INSTANCE_ID],
      useFactory: (redis: RedisConnections | null, instanceId: string): ConnectionStore =>
        redis ? new RedisConnectionStore(redis.client, redis.prefix, instanceId) : new InMemoryConnectionStore(),
    },
    {
      provide: CLUSTER_MEMBERSHIP,
      inject: [REDIS, INSTANCE_ID],
      // The registry's Redis keys are shared; the claim removes a dead instance's entries through them.
      useFactory: (redis: RedisConnections | null, instanceId: string) =>
        redis
          ? new RedisClusterMembership(
              redis.client,
              redis.prefix,
              instanceId,
              new RedisConnectionStore(redis.client, redis.prefix, instanceId),
            )
          : new SingleInstanceMembership(),
    },
    {
      provide: GRACE_DEADLINES,
      inject: [REDIS],
      useFactory: (redis: RedisConnections | null) =>
        redis ? new RedisGraceDeadlines(redis.client, redis.prefix) : new InMemoryGraceDeadlines(),
    },
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
  exports: [IoServer, RealtimeService, EventDispatcher, ConnectionLifecycle, GracePeriods, LocalSockets, CONNECTION_STORE],
})
export class RealtimeModule {}
