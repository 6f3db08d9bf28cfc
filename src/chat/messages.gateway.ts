import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import type { ConversationListResult, Message, MessagePage, MessageReadResult } from '../contracts';
import { OnClientEvent } from '../realtime/client-event.decorator';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import type { AppSocket } from '../realtime/socket.types';
import { ConversationListDto } from './dto/conversation-list.dto';
import { MessageHistoryDto } from './dto/message-history.dto';
import { MessageReadDto } from './dto/message-read.dto';
import { SendMessageDto } from './dto/send-message.dto';
import { TypingDto } from './dto/typing.dto';
import { MessagesService } from './messages.service';
import { TypingService } from './typing.service';

/** `message:*`, `conversation:list` and `typing`. The sender is always `socket.data.user`. */
@RealtimeGateway()
export class MessagesGateway {
  constructor(
    private readonly messages: MessagesService,
    private readonly typingService: TypingService,
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

  @OnClientEvent('conversation:list', ConversationListDto)
  list(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ConversationListDto): Promise<ConversationListResult> {
    return this.messages.listConversations(socket.data.user, body);
  }

  @OnClientEvent('typing', TypingDto)
  typing(@ConnectedSocket() socket: AppSocket, @MessageBody() body: TypingDto): Promise<Record<string, never>> {
    return this.typingService.typing(socket.data.user, body);
  }
}
