import { Injectable } from '@nestjs/common';
import type { Message, MessageReactResult, User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { AccessService } from '../access/access.service';
import type { ParsedConversationId } from '../access/conversation-id';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { rooms } from '../realtime/rooms';
import { RealtimeService } from '../realtime/realtime.service';
import { toMessage } from './chat.mapper';
import { mentionedUsernames, normalizeContent } from './mentions';
import { MessageEditsRepository } from './message-edits.repository';
import type { ConversationKey, MessageRow } from './messages.repository';

/** Distinct emojis one message may carry (a new emoji past it is `FORBIDDEN`, `details.limit`). */
export const MAX_REACTION_EMOJIS = 20;
/** Reactions one user may put on one message. */
export const MAX_REACTIONS_PER_USER = 10;

/**
 * Edits, tombstones and reactions of stored messages. Who may: edit the author; delete the
 * author or the room's owner/admins (AccessService); react anyone who may read the
 * conversation. A message in a conversation the caller may not read (any more) answers exactly
 * as an unknown one. Every committed change goes out through `committed` (one place).
 */
@Injectable()
export class MessageEditsService {
  constructor(
    private readonly edits: MessageEditsRepository,
    private readonly access: AccessService,
    private readonly realtime: RealtimeService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** The user ids a content mentions among the conversation's participants (the author left out), or []. */
  async mentions(
    author: User,
    conversation: Pick<ConversationKey, 'kind' | 'room_id' | 'user_a' | 'user_b'>,
    content: string,
  ): Promise<string[]> {
    const names = mentionedUsernames(content);
    if (!names.length) return [];
    const ids = await this.edits.participantIds(conversation, names);
    return names.map((n) => ids.get(n)).filter((id): id is string => id !== undefined && id !== author.id);
  }

  async edit(user: User, socketId: string, messageId: string, raw: string): Promise<Message> {
    const content = normalizeContent(raw, this.config.limits.messageMaxLength);
    const { row, parsed } = await this.readable(user, messageId);
    if (row.sender_id !== user.id) throw AppError.of('NOT_MESSAGE_AUTHOR');
    const mentions = await this.mentions(user, conversationKey(parsed), content);
    const edited = await this.edits.edit(row.id, content, mentions, new Date().toISOString());
    if (!edited) throw AppError.of('MESSAGE_NOT_FOUND');
    return this.committed(edited, parsed, socketId);
  }

  async delete(user: User, socketId: string, messageId: string): Promise<Record<string, never>> {
    // A tombstone deleted again answers {} and tells nobody.
    const { row, parsed } = await this.readable(user, messageId, true);
    if (row.deleted_at) return {};
    if (row.sender_id !== user.id && !(parsed.kind === 'room' && (await this.access.mayModerateRoom(user.id, parsed.roomId)))) {
      throw AppError.of('NOT_MESSAGE_AUTHOR');
    }
    const deleted = await this.edits.delete(row.id, new Date().toISOString());
    if (deleted) this.committed(deleted, parsed, socketId);
    return {};
  }

  async react(user: User, socketId: string, messageId: string, emoji: string, on: boolean): Promise<MessageReactResult> {
    const { row, parsed } = await this.readable(user, messageId);
    const outcome = await this.edits.react(
      row.id,
      user.id,
      emoji,
      on,
      { emojisPerMessage: MAX_REACTION_EMOJIS, perUser: MAX_REACTIONS_PER_USER },
      new Date().toISOString(),
    );
    if (!outcome) throw AppError.of('MESSAGE_NOT_FOUND');
    if ('limit' in outcome) {
      throw outcome.limit === 'emojis'
        ? AppError.limitReached('distinct emojis per message', MAX_REACTION_EMOJIS)
        : AppError.limitReached('reactions per user per message', MAX_REACTIONS_PER_USER);
    }
    const message = outcome.changed ? this.committed(outcome.row, parsed, socketId) : toMessage(outcome.row);
    return { messageId: message.id, reactions: message.reactions ?? [] };
  }

  /**
   * The one place a committed edit, tombstone or reaction change leaves the service: to the
   * audience of `message:new` (every socket of the participants except the acting one).
   */
  private committed(row: MessageRow, parsed: ParsedConversationId, socketId: string): Message {
    const message = toMessage(row);
    const to = parsed.kind === 'room' ? rooms.chatRoom(parsed.roomId) : [rooms.user(parsed.userA), rooms.user(parsed.userB)];
    this.realtime.emit(to, 'message:updated', message, socketId);
    return message;
  }

  /** The live message (or with `tombstones`, also a deleted one) and its conversation, when the caller may read that conversation now. */
  private async readable(user: User, messageId: string, tombstones = false): Promise<{ row: MessageRow; parsed: ParsedConversationId }> {
    const row = await this.edits.findById(messageId);
    if (!row || (row.deleted_at && !tombstones)) throw AppError.of('MESSAGE_NOT_FOUND');
    try {
      return { row, parsed: await this.access.requireConversation(user.id, row.conversation_id) };
    } catch {
      throw AppError.of('MESSAGE_NOT_FOUND');
    }
  }
}

function conversationKey(parsed: ParsedConversationId): Pick<ConversationKey, 'kind' | 'room_id' | 'user_a' | 'user_b'> {
  return parsed.kind === 'room'
    ? { kind: 'room', room_id: parsed.roomId, user_a: null, user_b: null }
    : { kind: 'dm', room_id: null, user_a: parsed.userA, user_b: parsed.userB };
}
