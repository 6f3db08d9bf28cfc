import type { Message, MessageReplyRef, ReactionSummary, Room } from '../contracts';
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
  // Columns of migration 0008; a row from before it (or from a send without them) has none.
  if (row.edited_at) message.editedAt = row.edited_at;
  if (row.deleted_at) message.deletedAt = row.deleted_at;
  if (row.reply_to) message.replyTo = JSON.parse(row.reply_to) as MessageReplyRef;
  if (row.mentions) message.mentions = JSON.parse(row.mentions) as string[];
  if (row.reactions) {
    const reactions = JSON.parse(row.reactions) as ReactionSummary[];
    if (reactions.length) message.reactions = reactions;
  }
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
