import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { ConnectionLifecycle } from './connection-lifecycle';
import { CONNECTION_STORE, InMemoryConnectionStore } from './connection-store';
import { JwtHandshakeAuthenticator } from './handshake-authenticator';
import { SessionsGateway } from './sessions.gateway';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [UsersModule],
  providers: [
    SessionsRepository,
    SessionsService,
    SessionsGateway,
    ConnectionLifecycle,
    JwtHandshakeAuthenticator,
    { provide: CONNECTION_STORE, useClass: InMemoryConnectionStore },
  ],
  exports: [SessionsService, ConnectionLifecycle, JwtHandshakeAuthenticator, CONNECTION_STORE],
})
export class SessionsModule {}
