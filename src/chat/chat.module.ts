import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { BlocksGateway } from './blocks.gateway';
import { BlocksRepository } from './blocks.repository';
import { BlocksService } from './blocks.service';
import { ChatSubscriptions } from './chat-subscriptions';
import { ConversationChangesRepository } from './conversation-changes.repository';
import { ConversationChangesService } from './conversation-changes.service';
import { ConversationsController } from './conversations.controller';
import { MessageEditsRepository } from './message-edits.repository';
import { MessageEditsService } from './message-edits.service';
import { MessageSearchRepository } from './message-search.repository';
import { MessageSearchService } from './message-search.service';
import { MessagesGateway } from './messages.gateway';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';
import { RoomsGateway } from './rooms.gateway';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';
import { SearchIndexer } from './search-indexer';
import { DEFAULT_TYPING_EXPIRY_MS, TYPING_EXPIRY_MS, TypingService } from './typing.service';

/** Direct messages, rooms, history, read pointers, typing and blocking (README, Chat). */
@Module({
  imports: [UsersModule, SessionsModule],
  controllers: [ConversationsController],
  providers: [
    MessagesRepository,
    RoomsRepository,
    MessagesService,
    RoomsService,
    MessageEditsRepository,
    MessageEditsService,
    MessageSearchRepository,
    MessageSearchService,
    SearchIndexer,
    ConversationChangesRepository,
    ConversationChangesService,
    TypingService,
    ChatSubscriptions,
    MessagesGateway,
    RoomsGateway,
    BlocksRepository,
    BlocksService,
    BlocksGateway,
    { provide: TYPING_EXPIRY_MS, useValue: DEFAULT_TYPING_EXPIRY_MS },
  ],
  exports: [MessagesService, RoomsService, RoomsRepository],
})
export class ChatModule {}
