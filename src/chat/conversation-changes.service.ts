import { Injectable } from '@nestjs/common';
import type { ConversationChanges, ConversationChangesPayload, ConversationChangesResult, FieldError, User } from '../contracts';
import { AppError, toAppError } from '../common/errors/app-error';
import { AccessService } from '../access/access.service';
import { parseConversationId } from '../access/conversation-id';
import { MAX_SEQ } from './dto/message-history.dto';
import { toMessage } from './chat.mapper';
import { ConversationChangesRepository, type ChangePosition } from './conversation-changes.repository';

export const DEFAULT_CHANGES_LIMIT = 100;

/** `<conversationId>@<seq>.<change>`, or a bare conversationId (from the start). */
const CURSOR = /^([^@\s]{1,160})(?:@(\d{1,10})\.(\d{1,10}))?$/;

export function encodeChangeCursor(conversationId: string, at: ChangePosition): string {
  return `${conversationId}@${at.seq}.${at.change}`;
}

export function decodeChangeCursor(cursor: string): { conversationId: string; at: ChangePosition } {
  const match = CURSOR.exec(cursor);
  const seq = Number(match?.[2] ?? 0);
  const change = Number(match?.[3] ?? 0);
  if (!match || !parseConversationId(match[1]) || seq > MAX_SEQ || change > MAX_SEQ) {
    const details: FieldError[] = [
      { field: 'cursors', errors: ['each cursor must be a conversationId or a cursor of conversation:changes'] },
    ];
    throw AppError.invalid('Invalid payload: cursors: malformed cursor', details);
  }
  return { conversationId: match[1], at: { seq, change } };
}

/**
 * Catch-up in one call: for each conversation, what happened after the client's cursor — new
 * messages, then edited/deleted/reacted messages as they are now, moved read pointers and changed
 * memberships — within one budget of `limit` items for the whole answer. A conversation the
 * caller may no longer read answers with `error` (kicked, left, deleted: stop showing it).
 */
@Injectable()
export class ConversationChangesService {
  constructor(
    private readonly changes: ConversationChangesRepository,
    private readonly access: AccessService,
  ) {}

  async since(user: User, input: ConversationChangesPayload): Promise<ConversationChangesResult> {
    const wanted = new Map<string, ChangePosition>();
    for (const cursor of input.cursors) {
      const { conversationId, at } = decodeChangeCursor(cursor);
      if (!wanted.has(conversationId)) wanted.set(conversationId, at);
    }
    let budget = input.limit ?? DEFAULT_CHANGES_LIMIT;
    const conversations: ConversationChanges[] = [];
    for (const [conversationId, at] of wanted) {
      const entry: ConversationChanges = {
        conversationId,
        messages: [],
        reads: [],
        members: [],
        cursor: encodeChangeCursor(conversationId, at),
        hasMore: false,
      };
      conversations.push(entry);
      let roomId: string | undefined;
      try {
        const parsed = await this.access.requireConversation(user.id, conversationId);
        roomId = parsed.kind === 'room' ? parsed.roomId : undefined;
      } catch (error) {
        const failure = toAppError(error);
        if (failure.internal) throw error;
        entry.error = failure.error.toBody();
        continue;
      }
      if (budget === 0) {
        entry.hasMore = true;
        continue;
      }
      const page = await this.changes.page(conversationId, roomId, at, budget);
      entry.messages = [...page.fresh, ...page.changed].map(toMessage);
      entry.reads = page.reads.map((r) => ({ userId: r.user_id, seq: r.last_read_seq }));
      entry.members = page.members;
      entry.cursor = encodeChangeCursor(conversationId, page.next);
      entry.hasMore = page.hasMore;
      budget = Math.max(0, budget - page.fresh.length - page.changed.length - page.reads.length - page.members.length);
    }
    return { conversations };
  }
}
