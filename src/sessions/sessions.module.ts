import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { JwtHandshakeAuthenticator } from './handshake-authenticator';
import { SessionSweeper } from './session-sweeper.service';
import { SessionsGateway } from './sessions.gateway';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** Sessions (a tab or device across reconnects): the handshake's identity, resume, refresh, expiry. */
@Module({
  imports: [UsersModule],
  providers: [SessionsRepository, SessionsService, SessionsGateway, JwtHandshakeAuthenticator, SessionSweeper],
  exports: [SessionsService, JwtHandshakeAuthenticator],
})
export class SessionsModule {}
