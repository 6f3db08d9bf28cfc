import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { InMemoryModalStore, MODAL_STORE } from './modal.store';
import { ModalsGateway } from './modals.gateway';
import { ModalsService } from './modals.service';

@Module({
  imports: [SessionsModule],
  providers: [
    ModalsService,
    ModalsGateway,
    // The Redis implementation (REDIS_URL) replaces this provider in a later issue.
    { provide: MODAL_STORE, useClass: InMemoryModalStore },
  ],
})
export class ModalsModule {}
