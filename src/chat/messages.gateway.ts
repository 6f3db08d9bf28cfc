import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import type {
  ConversationChangesResult,
  ConversationListResult,
  Message,
  MessagePage,
  MessageReactResult,
  MessageReadResult,
  MessageSearchResult,
} from '../contracts';
import { OnClientEvent } from '../realtime/client-event.decorator';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import type { AppSocket } from '../realtime/socket.types';
import { ConversationChangesService } from './conversation-changes.service';
import { ConversationChangesDto } from './dto/conversation-changes.dto';
import { ConversationListDto } from './dto/conversation-list.dto';
import { MessageDeleteDto, MessageEditDto, MessageReactDto, MessageSearchDto } from './dto/message-edit.dto';
import { MessageHistoryDto } from './dto/message-history.dto';
import { MessageReadDto } from './dto/message-read.dto';
import { SendMessageDto } from './dto/send-message.dto';
import { TypingDto } from './dto/typing.dto';
import { MessageEditsService } from './message-edits.service';
import { MessageSearchService } from './message-search.service';
import { MessagesService } from './messages.service';
import { TypingService } from './typing.service';

/** `message:*`, `conversation:list` and `typing`. The sender is always `socket.data.user`. */
@RealtimeGateway()
export class MessagesGateway {
  constructor(
    private readonly messages: MessagesService,
    private readonly typingService: TypingService,
    private readonly edits: MessageEditsService,
    private readonly searchService: MessageSearchService,
    private readonly changes: ConversationChangesService,
  ) {}

  @OnClientEvent('message:send', SendMessageDto)
  send(@ConnectedSocket() socket: AppSocket, @MessageBody() body: SendMessageDto): Promise<Message> {
    return this.messages.send(socket.data.user, socket.id, body);
  }

  @OnClientEvent('message:history', MessageHistoryDto)
  history(@ConnectedSocket() socket: AppSocket, @MessageBody() body: MessageHistoryDto): Promise<MessagePage> {
    const { conversationId, ...page } = body;
    return this.messages.history(socket.data.user, conversationId, page);
  }

  @OnClientEvent('message:read', MessageReadDto)
  read(@ConnectedSocket() socket: AppSocket, @MessageBody() body: MessageReadDto): Promise<MessageReadResult> {
    return this.messages.markRead(socket.data.user, socket.id, body.conversationId, body.seq);
  }

  @OnClientEvent('message:edit', MessageEditDto)
  edit(@ConnectedSocket() socket: AppSocket, @MessageBody() body: MessageEditDto): Promise<Message> {
    return this.edits.edit(socket.data.user, socket.id, body.messageId, body.content);
  }

  @OnClientEvent('message:delete', MessageDeleteDto)
  delete(@ConnectedSocket() socket: AppSocket, @MessageBody() body: MessageDeleteDto): Promise<Record<string, never>> {
    return this.edits.delete(socket.data.user, socket.id, body.messageId);
  }

  @OnClientEvent('message:react', MessageReactDto)
  react(@ConnectedSocket() socket: AppSocket, @MessageBody() body: MessageReactDto): Promise<MessageReactResult> {
    return this.edits.react(socket.data.user, socket.id, body.messageId, body.emoji, body.on);
  }

  @OnClientEvent('message:search', MessageSearchDto)
  search(@ConnectedSocket() socket: AppSocket, @MessageBody() body: MessageSearchDto): Promise<MessageSearchResult> {
    return this.searchService.find(socket.data.user, body);
  }

  @OnClientEvent('conversation:changes', ConversationChangesDto)
  conversationChanges(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() body: ConversationChangesDto,
  ): Promise<ConversationChangesResult> {
    return this.changes.since(socket.data.user, body);
  }

  @OnClientEvent('conversation:list', ConversationListDto)
  list(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ConversationListDto): Promise<ConversationListResult> {
    return this.messages.listConversations(socket.data.user, body);
  }

  @OnClientEvent('typing', TypingDto)
  typing(@ConnectedSocket() socket: AppSocket, @MessageBody() body: TypingDto): Promise<Record<string, never>> {
    return this.typingService.typing(socket.data.user, body);
  }
}
