import { Injectable } from '@nestjs/common';
import type { Db } from '../storage/database';
import { InjectDb } from '../storage/database.module';
import type { MessageRow } from './messages.repository';

/** Where a client stands in a conversation: the last seq it has, the last change it applied. */
export interface ChangePosition {
  seq: number;
  change: number;
}

export interface ChangePage {
  /** New messages (seq above the position), ascending. */
  fresh: MessageRow[];
  /** Messages changed since the position (current state), in change order. */
  changed: MessageRow[];
  reads: { user_id: string; last_read_seq: number }[];
  /** Membership subjects: the current role, or none when the user is no longer a member. */
  members: { userId: string; role?: string }[];
  next: ChangePosition;
  hasMore: boolean;
}

/**
 * Catch-up reads. New messages come by seq (`messages_conversation_seq_uq`); everything else
 * that changes in a conversation (an edit, a tombstone, a reaction, a read pointer, a
 * membership) bumps `conversations.last_change` and stores that number as its subject's latest
 * change in `conversation_changes` (triggers, migration 0008), read here by
 * `(conversation_id, change)`. Changes are read up to the counter as it was first read: every
 * change at or below it is committed (the counter row is locked until commit), so none is
 * skipped; a subject changed again later comes again in the next page.
 */
@Injectable()
export class ConversationChangesRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  async page(conversationId: string, roomId: string | undefined, from: ChangePosition, limit: number): Promise<ChangePage> {
    const conversation = await this.db
      .selectFrom('conversations')
      .select(['last_seq', 'last_change'])
      .where('id', '=', conversationId)
      .executeTakeFirst();
    const empty: ChangePage = { fresh: [], changed: [], reads: [], members: [], next: from, hasMore: false };
    if (!conversation) return empty;
    const lastChange = Number(conversation.last_change);
    const fresh = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('seq', '>', from.seq)
      .orderBy('seq')
      .limit(limit + 1)
      .execute();
    if (fresh.length > limit) {
      // Changes wait until every new message is delivered: the change position stays.
      const page = fresh.slice(0, limit);
      return { ...empty, fresh: page, next: { seq: Number(page.at(-1)!.seq), change: from.change }, hasMore: true };
    }
    const seq = fresh.length ? Number(fresh.at(-1)!.seq) : from.seq;
    const room = limit - fresh.length;
    if (room === 0 || lastChange <= from.change) {
      return {
        ...empty,
        fresh,
        next: { seq, change: room === 0 ? from.change : Math.max(from.change, lastChange) },
        hasMore: room === 0 && lastChange > from.change,
      };
    }
    const subjects = await this.db
      .selectFrom('conversation_changes')
      .select(['subject', 'change'])
      .where('conversation_id', '=', conversationId)
      .where('change', '>', from.change)
      .where('change', '<=', lastChange)
      .orderBy('change')
      .limit(room + 1)
      .execute();
    const hasMore = subjects.length > room;
    const taken = subjects.slice(0, room);
    const change = hasMore ? Number(taken.at(-1)!.change) : lastChange;
    const ids = (prefix: string) => taken.filter((s) => s.subject.startsWith(prefix)).map((s) => s.subject.slice(2));
    const [messageIds, readerIds, memberIds] = [ids('m:'), ids('r:'), ids('u:')];
    const freshIds = new Set(fresh.map((m) => m.id));
    const [changedRows, reads, members] = await Promise.all([
      messageIds.length
        ? this.db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('id', 'in', messageIds).execute()
        : [],
      readerIds.length
        ? this.db
            .selectFrom('conversation_reads')
            .select(['user_id', 'last_read_seq'])
            .where('conversation_id', '=', conversationId)
            .where('user_id', 'in', readerIds)
            .execute()
        : [],
      memberIds.length && roomId !== undefined
        ? this.db
            .selectFrom('room_members')
            .select(['user_id', 'role'])
            .where('room_id', '=', roomId)
            .where('user_id', 'in', memberIds)
            .execute()
        : [],
    ]);
    const byId = new Map(changedRows.map((m) => [m.id, m]));
    const roles = new Map(members.map((m) => [m.user_id, m.role as string]));
    return {
      fresh,
      // A new message of this page already comes as it is now.
      changed: messageIds.filter((id) => !freshIds.has(id)).flatMap((id) => byId.get(id) ?? []),
      reads: reads.map((r) => ({ user_id: r.user_id, last_read_seq: Number(r.last_read_seq) })),
      members: memberIds.map((userId) => (roles.has(userId) ? { userId, role: roles.get(userId) } : { userId })),
      next: { seq, change },
      hasMore,
    };
  }
}
