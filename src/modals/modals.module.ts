import { Module } from '@nestjs/common';
import { REDIS, type RedisConnections } from '../redis/redis.providers';
import { SessionsModule } from '../sessions/sessions.module';
import { MODAL_STORE } from './modal.store';
import { InMemoryModalStore } from './in-memory-modal.store';
import { ModalsGateway } from './modals.gateway';
import { ModalsService } from './modals.service';
import { RedisModalStore } from './redis-modal.store';

@Module({
  imports: [SessionsModule],
  providers: [
    ModalsService,
    ModalsGateway,
    {
      provide: MODAL_STORE,
      inject: [REDIS],
      useFactory: (redis: RedisConnections | null) => (redis ? new RedisModalStore(redis.client, redis.prefix) : new InMemoryModalStore()),
    },
  ],
  exports: [ModalsService],
})
export class ModalsModule {}
