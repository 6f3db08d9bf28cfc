import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { ChatSubscriptions } from './chat-subscriptions';
import { ConversationsController } from './conversations.controller';
import { MessagesGateway } from './messages.gateway';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';
import { RoomsGateway } from './rooms.gateway';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';
import { DEFAULT_TYPING_EXPIRY_MS, TYPING_EXPIRY_MS, TypingService } from './typing.service';

/** Direct messages, rooms, history, read pointers and typing (README, Chat). */
@Module({
  imports: [UsersModule, SessionsModule],
  controllers: [ConversationsController],
  providers: [
    MessagesRepository,
    RoomsRepository,
    MessagesService,
    RoomsService,
    TypingService,
    ChatSubscriptions,
    MessagesGateway,
    RoomsGateway,
    { provide: TYPING_EXPIRY_MS, useValue: DEFAULT_TYPING_EXPIRY_MS },
  ],
  exports: [MessagesService, RoomsService, RoomsRepository],
})
export class ChatModule {}
