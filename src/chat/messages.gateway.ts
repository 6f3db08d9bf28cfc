import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import type { ConversationListResult, Message, MessagePage, MessageReadResult } from '../contracts';
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

  @SubscribeMessage('message:send')
  send(@ConnectedSocket() socket: AppSocket, @MessageBody() body: SendMessageDto): Promise<Message> {
    return this.messages.send(socket.data.user, socket.id, body);
  }

  @SubscribeMessage('message:history')
  history(@ConnectedSocket() socket: AppSocket, @MessageBody() body: MessageHistoryDto): Promise<MessagePage> {
    const { conversationId, ...page } = body;
    return this.messages.history(socket.data.user, conversationId, page);
  }

  @SubscribeMessage('message:read')
  read(@ConnectedSocket() socket: AppSocket, @MessageBody() body: MessageReadDto): Promise<MessageReadResult> {
    return this.messages.markRead(socket.data.user, socket.id, body.conversationId, body.seq);
  }

  @SubscribeMessage('conversation:list')
  list(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ConversationListDto): Promise<ConversationListResult> {
    return this.messages.listConversations(socket.data.user, body);
  }

  @SubscribeMessage('typing')
  typing(@ConnectedSocket() socket: AppSocket, @MessageBody() body: TypingDto): Promise<Record<string, never>> {
    return this.typingService.typing(socket.data.user, body);
  }
}
