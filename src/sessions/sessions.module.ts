import { Module } from '@nestjs/common';
import { INSTANCE_ID, REDIS, type RedisConnections } from '../redis/redis.providers';
import { UsersModule } from '../users/users.module';
import { ConnectionLifecycle } from '../realtime/connections/connection-lifecycle';
import { CONNECTION_STORE } from '../realtime/connections/connection-store';
import { InMemoryConnectionStore } from '../realtime/connections/in-memory-connection-store';
import { GRACE_DEADLINES } from '../realtime/grace/grace-deadlines';
import { InMemoryGraceDeadlines } from '../realtime/grace/in-memory-grace-deadlines';
import { JwtHandshakeAuthenticator } from './handshake-authenticator';
import { InstanceReaper } from '../realtime/connections/instance-reaper.service';
import { LocalSockets } from '../realtime/connections/local-sockets';
import { RedisConnectionStore } from '../realtime/connections/redis-connection-store';
import { RedisGraceDeadlines } from '../realtime/grace/redis-grace-deadlines';
import { SessionSweeper } from './session-sweeper.service';
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
    LocalSockets,
    SessionSweeper,
    {
      provide: CONNECTION_STORE,
      inject: [REDIS, INSTANCE_ID],
      useFactory: (redis: RedisConnections | null, instanceId: string) =>
        redis ? new RedisConnectionStore(redis.client, redis.prefix, instanceId) : new InMemoryConnectionStore(),
    },
    {
      provide: GRACE_DEADLINES,
      inject: [REDIS],
      useFactory: (redis: RedisConnections | null) =>
        redis ? new RedisGraceDeadlines(redis.client, redis.prefix) : new InMemoryGraceDeadlines(),
    },
  ],
  exports: [SessionsService, ConnectionLifecycle, JwtHandshakeAuthenticator, CONNECTION_STORE, GRACE_DEADLINES],
})
export class SessionsModule {}
