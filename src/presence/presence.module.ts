import { Global, Module } from '@nestjs/common';
import { REDIS, type RedisConnections } from '../redis/redis.providers';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { PresenceGateway } from './presence.gateway';
import { PRESENCE_QUERY } from '../access/presence-query';
import { PRESENCE_STORE } from './presence.store';
import { InMemoryPresenceStore } from './in-memory-presence.store';
import { PRESENCE_SUBSCRIPTIONS, SocketRoomPresenceSubscriptions } from './presence-subscriptions';
import { LastSeenRecorder } from './last-seen.recorder';
import { PresenceService } from './presence.service';
import { RedisPresenceStore } from './redis-presence.store';

/** Global so the users API and chat can read presence through PRESENCE_QUERY without a cycle. */
@Global()
@Module({
  imports: [UsersModule, SessionsModule],
  providers: [
    PresenceService,
    LastSeenRecorder,
    PresenceGateway,
    { provide: PRESENCE_QUERY, useExisting: PresenceService },
    {
      provide: PRESENCE_STORE,
      inject: [REDIS],
      useFactory: (redis: RedisConnections | null) =>
        redis ? new RedisPresenceStore(redis.client, redis.prefix) : new InMemoryPresenceStore(),
    },
    // Socket.io room memberships: local to each socket's instance, reached everywhere through the Redis adapter.
    { provide: PRESENCE_SUBSCRIPTIONS, useClass: SocketRoomPresenceSubscriptions },
  ],
  exports: [PresenceService, PRESENCE_QUERY],
})
export class PresenceModule {}
