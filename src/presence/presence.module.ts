import { Global, Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { PresenceGateway } from './presence.gateway';
import { PRESENCE_QUERY } from './presence-query';
import { InMemoryPresenceStore, PRESENCE_STORE } from './presence.store';
import { PRESENCE_SUBSCRIPTIONS, SocketRoomPresenceSubscriptions } from './presence-subscriptions';
import { PresenceService } from './presence.service';
import { ROOM_MEMBERSHIP, SqlRoomMembership } from './room-membership';

/** Global so the users API and chat can read presence through PRESENCE_QUERY without a cycle. */
@Global()
@Module({
  imports: [UsersModule, SessionsModule],
  providers: [
    PresenceService,
    PresenceGateway,
    { provide: PRESENCE_QUERY, useExisting: PresenceService },
    // The Redis implementation (REDIS_URL) replaces this provider in a later issue.
    { provide: PRESENCE_STORE, useClass: InMemoryPresenceStore },
    { provide: PRESENCE_SUBSCRIPTIONS, useClass: SocketRoomPresenceSubscriptions },
    { provide: ROOM_MEMBERSHIP, useClass: SqlRoomMembership },
  ],
  exports: [PresenceService, PRESENCE_QUERY],
})
export class PresenceModule {}
