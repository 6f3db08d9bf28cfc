import type { Message, Room } from '../contracts';
import type { MessageRow } from './messages.repository';
import type { RoomRow } from './rooms.repository';

export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    from: { id: row.sender_id, username: row.sender_username },
    content: row.content,
    createdAt: row.created_at,
  };
  if (row.recipient_id !== null) message.to = row.recipient_id;
  if (row.room_id !== null) message.roomId = row.room_id;
  if (row.client_msg_id !== null) message.clientMsgId = row.client_msg_id;
  return message;
}

export function toRoom(row: RoomRow): Room {
  return {
    id: row.id,
    name: row.name,
    visibility: row.visibility,
    ownerId: row.owner_id,
    memberCount: row.member_count,
    createdAt: row.created_at,
  };
}
