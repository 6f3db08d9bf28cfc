import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import type { MessagePage, User } from '../contracts';
import { BearerAuthGuard, CurrentUser } from '../auth/bearer-auth.guard';
import { HistoryPageQuery } from './dto/message-history.dto';
import { MessagesService } from './messages.service';

@Controller('conversations')
@UseGuards(BearerAuthGuard)
export class ConversationsController {
  constructor(private readonly messages: MessagesService) {}

  /** History of a conversation the caller takes part in: 400 malformed id, 403 not theirs, 404 unknown. */
  @Get(':conversationId/messages')
  history(
    @CurrentUser() user: User,
    @Param('conversationId') conversationId: string,
    @Query() query: HistoryPageQuery,
  ): Promise<MessagePage> {
    return this.messages.history(user, conversationId, query);
  }
}
