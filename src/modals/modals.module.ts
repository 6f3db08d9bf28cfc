import { Module } from '@nestjs/common';
import { REDIS, type RedisConnections } from '../redis/redis.providers';
import { SessionsModule } from '../sessions/sessions.module';
import { FencingEpochsRepository } from './fencing-epochs.repository';
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
    FencingEpochsRepository,
    {
      provide: MODAL_STORE,
      inject: [REDIS, FencingEpochsRepository],
      // Without Redis the locks live in this process: a new epoch per start keeps fencing tokens growing across restarts.
      useFactory: async (redis: RedisConnections | null, epochs: FencingEpochsRepository) =>
        redis ? new RedisModalStore(redis.client, redis.prefix) : new InMemoryModalStore(await epochs.next()),
    },
  ],
  exports: [ModalsService],
})
export class ModalsModule {}
