import { Global, Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { PRESENCE_QUERY } from './presence-query';
import { PresenceService } from './presence.service';

/** Global so the users API and chat can read presence through PRESENCE_QUERY without a cycle. */
@Global()
@Module({
  imports: [UsersModule, SessionsModule],
  providers: [PresenceService, { provide: PRESENCE_QUERY, useExisting: PresenceService }],
  exports: [PresenceService, PRESENCE_QUERY],
})
export class PresenceModule {}
