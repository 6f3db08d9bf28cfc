import { Module } from '@nestjs/common';
import { INSTANCE_ID, REDIS, type RedisConnections } from '../redis/redis.providers';
import { UsersModule } from '../users/users.module';
import { ConnectionLifecycle } from './connection-lifecycle';
import { CONNECTION_STORE, InMemoryConnectionStore } from './connection-store';
import { JwtHandshakeAuthenticator } from './handshake-authenticator';
import { InstanceReaper } from './instance-reaper.service';
import { RedisConnectionStore } from './redis-connection-store';
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
    InstanceReaper,
    {
      provide: CONNECTION_STORE,
      inject: [REDIS, INSTANCE_ID],
      useFactory: (redis: RedisConnections | null, instanceId: string) =>
        redis ? new RedisConnectionStore(redis.client, redis.prefix, instanceId) : new InMemoryConnectionStore(),
    },
  ],
  exports: [SessionsService, ConnectionLifecycle, JwtHandshakeAuthenticator, CONNECTION_STORE],
})
export class SessionsModule {}
