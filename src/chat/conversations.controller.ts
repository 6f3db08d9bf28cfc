import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiBearer, ApiDtoQuery, ApiErrors, model } from '../common/http/openapi.decorators';
import type { MessagePage, User } from '../contracts';
import { BearerAuthGuard, CurrentUser } from '../auth/bearer-auth.guard';
import { AccessService } from '../access/access.service';
import { dmConversationId } from '../access/conversation-id';
import { HistoryPageQuery } from './dto/message-history.dto';
import { MessagesService } from './messages.service';

@ApiTags('conversations')
@ApiBearer()
@Controller('conversations')
@UseGuards(BearerAuthGuard)
export class ConversationsController {
  constructor(
    private readonly messages: MessagesService,
    private readonly access: AccessService,
  ) {}

  /**
   * History of a conversation the caller takes part in: 400 malformed id; 404 unknown or not
   * theirs (one answer, so existence cannot be probed); 403 only for a public room not joined.
   */
  @Get(':conversationId/messages')
  @ApiOperation({
    summary: 'A page of a conversation’s history (as the `message:history` event)',
    description:
      '`404 NOT_FOUND`, with the same message, for an unknown conversation, a DM you are not one of the two participants of, ' +
      'and a private room you are not a member of. `403 FORBIDDEN` only for a public room you have not joined.',
  })
  @ApiParam({
    name: 'conversationId',
    description:
      '`dm:<userIdA>:<userIdB>` (ids sorted), `room:<roomId>`, or `dm:<userIdOrSubject>`: your DM with that user, named by id or by identity-provider subject',
  })
  @ApiDtoQuery(HistoryPageQuery)
  @ApiOkResponse({ schema: model('MessagePage') })
  @ApiErrors('BAD_REQUEST', 'FORBIDDEN', 'NOT_FOUND')
  async history(
    @CurrentUser() user: User,
    @Param('conversationId') conversationId: string,
    @Query() query: HistoryPageQuery,
  ): Promise<MessagePage> {
    const withOne = /^dm:([^:\s]{1,255})$/.exec(conversationId);
    if (withOne) conversationId = dmConversationId(user.id, await this.access.requireUser(withOne[1]));
    return this.messages.history(user, conversationId, query);
  }
}
