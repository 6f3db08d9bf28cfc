import { Injectable } from '@nestjs/common';
import type {
  ConversationListResult,
  ConversationSummary,
  FieldError,
  Message,
  MessageReplyRef,
  MessagePage,
  MessageReadResult,
  User,
} from '../contracts';
import { AppError } from '../common/errors/app-error';
import { rooms } from '../realtime/rooms';
import { RealtimeService } from '../realtime/realtime.service';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { uuidV7 } from '../storage/uuid-v7';
import { UsersService } from '../users/users.service';
import { toMessage, toRoom } from './chat.mapper';
import { decodeConversationCursor, encodeConversationCursor } from './conversation-cursor';
import { AccessService } from '../access/access.service';
import type { BlockPair } from '../access/access.repository';
import { dmConversationId, roomConversationId, type ParsedConversationId } from '../access/conversation-id';
import { DEFAULT_CONVERSATION_PAGE } from './dto/conversation-list.dto';
import { requireOneTarget } from './dto/target';
import { KeyedSerializer } from './keyed-serializer';
import { excerptOf, normalizeContent } from './mentions';
import { MessageEditsRepository } from './message-edits.repository';
import { MessageEditsService } from './message-edits.service';
import { MessagesRepository, type ConversationKey, type ConversationListRow, type MessageRow } from './messages.repository';
import { RoomsRepository } from './rooms.repository';

export const DEFAULT_HISTORY_LIMIT = 50;

export interface SendInput {
  to?: string;
  roomId?: string;
  content: string;
  clientMsgId?: string;
  replyTo?: string;
}

export interface ConversationPageInput {
  limit?: number;
  before?: string;
}

export interface HistoryInput {
  before?: number;
  after?: number;
  limit?: number;
}

/**
 * Messages: sending (stored before the ack, one seq per conversation, idempotent per
 * clientMsgId), history, read pointers and the conversation list.
 */
@Injectable()
export class MessagesService {
  private readonly perSocket = new KeyedSerializer();

  constructor(
    private readonly messages: MessagesRepository,
    private readonly rooms: RoomsRepository,
    private readonly users: UsersService,
    private readonly access: AccessService,
    private readonly realtime: RealtimeService,
    private readonly edits: MessageEditsService,
    private readonly editsRepository: MessageEditsRepository,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Trimmed content, 1–MESSAGE_MAX_LENGTH characters (code points, so an emoji counts once). */
  normalizeContent(raw: string): string {
    return normalizeContent(raw, this.config.limits.messageMaxLength);
  }

  /**
   * Stores and delivers a message. The ack (return value) comes after the commit. Sends from
   * one socket are stored in the order they were emitted. A repeated clientMsgId of the same
   * sender returns the first message and delivers nothing. `asSystem` (the server API's system
   * user) may post to any existing room without being a member.
   */
  send(sender: User, socketId: string, input: SendInput, options: { asSystem?: boolean } = {}): Promise<Message> {
    const target = requireOneTarget(input);
    const content = this.normalizeContent(input.content);
    return this.perSocket.run(socketId, async () => {
      if (input.clientMsgId !== undefined) {
        const first = await this.messages.findByClientMsgId(sender.id, input.clientMsgId);
        if (first) return toMessage(first);
      }
      let conversation: ConversationKey;
      // A DM's recipient must not have blocked the sender: checked where it is stored (one round trip on PostgreSQL).
      let unlessBlocked: BlockPair | undefined;
      if (target.kind === 'user') {
        // `to` is a user id or an identity-provider subject (see AccessService.requireUser).
        const recipient = target.userId === sender.id ? sender.id : await this.access.requireUser(target.userId);
        if (recipient !== sender.id) unlessBlocked = { blockerId: recipient, blockedId: sender.id };
        target.userId = recipient;
        const [a, b] = [sender.id, recipient].sort();
        conversation = { id: dmConversationId(a, b), kind: 'dm', room_id: null, user_a: a, user_b: b };
      } else {
        if (options.asSystem) {
          if (!(await this.rooms.findById(target.roomId))) throw AppError.of('ROOM_NOT_FOUND');
        } else await this.access.requireRoomMember(sender.id, target.roomId, 'Only members may send to this room');
        conversation = { id: roomConversationId(target.roomId), kind: 'room', room_id: target.roomId, user_a: null, user_b: null };
      }
      // Both cost nothing for a plain message (no replyTo, no `@`): the send path stays as it was.
      const replyTo = input.replyTo === undefined ? undefined : await this.replyRef(conversation.id, input.replyTo);
      const mentions = content.includes('@') ? await this.edits.mentions(sender, conversation, content) : [];
      let row: MessageRow | undefined;
      try {
        row = await this.messages.append(
          conversation,
          {
            id: uuidV7(),
            sender_id: sender.id,
            sender_username: sender.username,
            recipient_id: target.kind === 'user' ? target.userId : null,
            room_id: target.kind === 'room' ? target.roomId : null,
            content,
            client_msg_id: input.clientMsgId ?? null,
            created_at: new Date().toISOString(),
            reply_to: replyTo ? JSON.stringify(replyTo) : null,
          },
          mentions,
          unlessBlocked,
        );
      } catch (error) {
        // Two sends with one clientMsgId raced (e.g. two tabs retrying): the unique index let
        // one win and rolled the other back; answer with the winner.
        if (input.clientMsgId !== undefined) {
          const first = await this.messages.findByClientMsgId(sender.id, input.clientMsgId);
          if (first) return toMessage(first);
        }
        throw error;
      }
      if (!row) throw AppError.of('USER_BLOCKED');
      const message = toMessage(row);
      const to = target.kind === 'user' ? [rooms.user(sender.id), rooms.user(target.userId)] : rooms.chatRoom(target.roomId);
      this.realtime.emit(to, 'message:new', message, socketId);
      return message;
    });
  }

  /** What a reply carries of the message it answers: a live message of the same conversation, else BAD_REQUEST. */
  private async replyRef(conversationId: string, messageId: string): Promise<MessageReplyRef> {
    const original = await this.editsRepository.findInConversation(conversationId, messageId);
    if (!original || original.deleted_at) {
      const details: FieldError[] = [{ field: 'replyTo', errors: ['replyTo must be a message of this conversation'] }];
      throw AppError.invalid('Invalid payload: replyTo: no such message in this conversation', details);
    }
    return {
      id: original.id,
      seq: Number(original.seq),
      from: { id: original.sender_id, username: original.sender_username },
      excerpt: excerptOf(original.content),
    };
  }

  async history(user: User, conversationId: string, input: HistoryInput): Promise<MessagePage> {
    const parsed = await this.access.requireConversation(user.id, conversationId);
    const limit = input.limit ?? DEFAULT_HISTORY_LIMIT;
    const { rows, hasMore } = await this.messages.history(parsed.id, { before: input.before, after: input.after, limit });
    return { messages: rows.map(toMessage), hasMore };
  }

  /**
   * Moves the caller's read pointer forward. A seq beyond the last message is BAD_REQUEST; a
   * seq at or below the pointer changes nothing (the ack carries the pointer as it stands).
   * When it moved, the other participants and the reader's other tabs get `message:read`.
   */
  async markRead(user: User, socketId: string, conversationId: string, seq: number): Promise<MessageReadResult> {
    const parsed = await this.access.requireConversation(user.id, conversationId);
    const conversation = await this.messages.findConversation(parsed.id);
    const lastSeq = conversation ? Number(conversation.last_seq) : 0;
    if (seq > lastSeq) {
      const details: FieldError[] = [{ field: 'seq', errors: [`seq must not exceed the last message's seq (${lastSeq})`] }];
      throw AppError.invalid(`Invalid payload: seq ${seq} is beyond the last message (${lastSeq})`, details);
    }
    const moved = seq > 0 && (await this.messages.advanceReadPointer(parsed.id, user.id, seq, new Date().toISOString()));
    if (!moved) return { conversationId: parsed.id, seq: await this.messages.readPointer(parsed.id, user.id) };
    this.realtime.emit(this.audience(parsed), 'message:read', { conversationId: parsed.id, userId: user.id, seq }, socketId);
    return { conversationId: parsed.id, seq };
  }

  /**
   * One page of the caller's conversations, latest activity first, with unread counts. Costs
   * O(page) whatever the number of conversations (anyone may open a DM with anyone); unread
   * counts, peers and rooms are looked up for this page only.
   */
  async listConversations(user: User, input: ConversationPageInput = {}): Promise<ConversationListResult> {
    // Optional fields may come as null (class-validator's IsOptional): the same as absent.
    const before = input.before ? decodeConversationCursor(input.before) : undefined;
    const limit = input.limit ?? DEFAULT_CONVERSATION_PAGE;
    const { rows, hasMore } = await this.messages.listPage(user.id, { limit, before });
    const peerOf = (r: ConversationListRow) => (r.user_a === user.id ? r.user_b! : r.user_a!);
    const withMessages = rows.filter((r) => r.last_seq > 0).map((r) => r.id);
    const [unread, mentioned, peers, roomRows] = await Promise.all([
      this.messages.unreadCounts(user.id, withMessages),
      this.messages.mentionCounts(user.id, withMessages),
      this.users.findByIds(rows.filter((r) => r.kind === 'dm').map(peerOf)),
      this.rooms.findByIds(rows.filter((r) => r.kind === 'room').map((r) => r.room_id!)),
    ]);
    const peerById = new Map(peers.map((p) => [p.id, p]));
    const roomById = new Map(roomRows.map((r) => [r.id, toRoom(r)]));
    const conversations = rows.map((r): ConversationSummary => {
      const summary: ConversationSummary = {
        conversationId: r.id,
        type: r.kind,
        unreadCount: unread.get(r.id) ?? 0,
        lastReadSeq: r.last_read_seq ?? 0,
        mentionCount: mentioned.get(r.id) ?? 0,
      };
      if (r.kind === 'dm') {
        const peer = peerById.get(peerOf(r));
        if (peer) summary.peer = peer;
      } else {
        const room = roomById.get(r.room_id!);
        if (room) summary.room = room;
      }
      if (r.last_message) summary.lastMessage = toMessage(r.last_message);
      return summary;
    });
    const result: ConversationListResult = { conversations, hasMore };
    const last = rows.at(-1);
    if (hasMore && last) result.next = encodeConversationCursor({ activity: last.activity, conversationId: last.id });
    return result;
  }

  /** Every socket of every participant of a conversation. */
  private audience(parsed: ParsedConversationId): string | string[] {
    return parsed.kind === 'room' ? rooms.chatRoom(parsed.roomId) : [rooms.user(parsed.userA), rooms.user(parsed.userB)];
  }
}
