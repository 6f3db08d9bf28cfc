import { type ClientEventMap, type ClientEventName, type JsonSchema, type Schema } from '../contracts';
import { dtoSchema } from './dto-schema';
import { ConversationListDto } from '../chat/dto/conversation-list.dto';
import { MessageHistoryDto } from '../chat/dto/message-history.dto';
import { MessageReadDto } from '../chat/dto/message-read.dto';
import { RoomCreateDto, RoomIdDto, RoomInviteDto, RoomListDto } from '../chat/dto/room.dto';
import { RoomMembersDto } from '../chat/dto/room-members.dto';
import { SendMessageDto } from '../chat/dto/send-message.dto';
import { TypingDto } from '../chat/dto/typing.dto';
import { ModalCloseDto } from '../modals/dto/modal-close.dto';
import { ModalListDto } from '../modals/dto/modal-list.dto';
import { ModalOpenDto } from '../modals/dto/modal-open.dto';
import { PresenceListDto } from '../presence/dto/presence-list.dto';
import { PresenceSetDto } from '../presence/dto/presence-set.dto';
import { PresenceTargetDto } from '../presence/dto/presence-target.dto';
import { SessionRefreshDto } from '../sessions/dto/session-refresh.dto';

type Dto<T> = new () => T;

/**
 * The class each gateway validates an event's payload with: its class-validator rules are the
 * payload schema, so the documented limits are the enforced ones. An event whose gateway checks
 * by hand would give its schema directly. Typed per event, so a
 * DTO that does not fit the contract's payload type does not compile.
 */
export const PAYLOAD_SOURCES: { [E in ClientEventName]: Dto<ClientEventMap[E]['payload']> | Schema<ClientEventMap[E]['payload']> } = {
  'session:refresh': SessionRefreshDto,
  'message:send': SendMessageDto,
  'message:history': MessageHistoryDto,
  'message:read': MessageReadDto,
  'conversation:list': ConversationListDto,
  typing: TypingDto,
  'room:create': RoomCreateDto,
  'room:list': RoomListDto,
  'room:join': RoomIdDto,
  'room:members': RoomMembersDto,
  'room:invite': RoomInviteDto,
  'room:leave': RoomIdDto,
  'presence:subscribe': PresenceTargetDto,
  'presence:unsubscribe': PresenceTargetDto,
  'presence:list': PresenceListDto,
  'presence:set': PresenceSetDto,
  'modal:open': ModalOpenDto,
  'modal:close': ModalCloseDto,
  'modal:list': ModalListDto,
};

export function payloadSchema(event: ClientEventName): JsonSchema {
  const source = PAYLOAD_SOURCES[event];
  return typeof source === 'function' ? dtoSchema(source) : source;
}
