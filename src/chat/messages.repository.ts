import { Injectable } from '@nestjs/common';
import { CompiledQuery, sql, type Insertable, type Selectable, type SqlBool } from 'kysely';
import { blockRow, type BlockPair } from '../access/access.repository';
import { InjectConfig, type AppConfig } from '../config/config.module';
import type { Db } from '../storage/database';
import type { ConversationsTable, MessagesTable } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';
import { inBatches } from '../storage/in-batches';
import { registerHotStatement } from '../storage/pg-named-statements';
import { preparedQuery } from '../storage/prepared-query';
import { WriteBatcher } from '../storage/write-batcher';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { toMessage } from './chat.mapper';
import type { ConversationCursor } from './conversation-cursor';

export type MessageRow = Selectable<MessagesTable>;
export type ConversationRow = Selectable<ConversationsTable>;
/** What identifies a conversation when its first message creates it. */
export type ConversationKey = Pick<ConversationRow, 'id' | 'kind' | 'room_id' | 'user_a' | 'user_b'>;
export type NewMessage = Omit<Insertable<MessagesTable>, 'seq' | 'conversation_id'>;

export interface ConversationListRow extends ConversationRow {
  /** `coalesce(last_message_at, created_at)`: the order of the list and half of its cursor. */
  activity: string;
  last_read_seq: number | null;
  /** The message with seq = last_seq, when there is one. */
  last_message: MessageRow | undefined;
}

export interface ConversationPageBounds {
  limit: number;
  /** Only conversations strictly after this one in list order. */
  before?: ConversationCursor;
}

export interface HistoryBounds {
  before?: number;
  after?: number;
  limit: number;
}

/** The next seq of a conversation, creating its counter row with the first message. */
const nextSeq = preparedQuery(['id', 'kind', 'room_id', 'user_a', 'user_b', 'at'], (db, c: ConversationKey & { at: string }) =>
  db
    .insertInto('conversations')
    .values({
      id: c.id,
      kind: c.kind,
      room_id: c.room_id,
      user_a: c.user_a,
      user_b: c.user_b,
      last_seq: 1,
      last_message_at: c.at,
      created_at: c.at,
    })
    .onConflict((oc) => oc.column('id').doUpdateSet({ last_seq: sql<number>`conversations.last_seq + 1`, last_message_at: c.at }))
    .returning('last_seq'),
);

const MESSAGE_COLUMNS = [
  'id',
  'conversation_id',
  'seq',
  'sender_id',
  'sender_username',
  'recipient_id',
  'room_id',
  'content',
  'client_msg_id',
  'created_at',
  'edited_at',
  'deleted_at',
  'reply_to',
  'mentions',
  'reactions',
] as const satisfies readonly (keyof MessageRow)[];
const insertMessage = preparedQuery(MESSAGE_COLUMNS, (db, row: MessageRow) => db.insertInto('messages').values(row));

/**
 * PostgreSQL: the block check, the counter upsert and the insert as ONE statement (a
 * data-modifying CTE), which is its own transaction: one round trip per send instead of five
 * (the block read, begin, upsert, insert, commit). When the recipient ($20) blocked the sender
 * ($21) nothing is written and no row comes back; both are null for a room or oneself. A failed
 * insert (a duplicate clientMsgId) fails the statement, so the increment goes too. The
 * parameters of `insert … select` are typed by their use (the columns are all text but the counter).
 */
const APPEND_IN_ONE_STATEMENT = `with c as (
  insert into conversations (id, kind, room_id, user_a, user_b, last_seq, last_message_at, created_at)
  select $1, $2, $3, $4, $5, 1, $6, $6
  where not exists (select 1 from user_blocks where blocker_id = $20 and blocked_id = $21)
  on conflict (id) do update set last_seq = conversations.last_seq + 1, last_message_at = $6
  returning last_seq)
insert into messages (${MESSAGE_COLUMNS.join(', ')})
select $7, $1, c.last_seq, ${MESSAGE_COLUMNS.slice(3)
  .map((_, i) => `$${i + 8}`)
  .join(', ')}
from c
returning seq`;
registerHotStatement(APPEND_IN_ONE_STATEMENT);

/** The stored row of a new message. */
function messageRow(conversationId: string, message: NewMessage, seq: number, mentions: readonly string[]): MessageRow {
  return {
    id: message.id,
    conversation_id: conversationId,
    seq,
    sender_id: message.sender_id,
    sender_username: message.sender_username,
    recipient_id: message.recipient_id ?? null,
    room_id: message.room_id ?? null,
    content: message.content,
    client_msg_id: message.client_msg_id ?? null,
    created_at: message.created_at,
    edited_at: null,
    deleted_at: null,
    reply_to: message.reply_to ?? null,
    mentions: mentions.length ? JSON.stringify(mentions) : null,
    reactions: null,
  };
}

@Injectable()
export class MessagesRepository {
  private readonly postgres: boolean;

  constructor(
    @InjectDb() private readonly db: Db,
    private readonly writes: WriteBatcher,
    private readonly webhooks: WebhookOutbox,
    @InjectConfig() config: AppConfig,
  ) {
    this.postgres = config.database.kind === 'postgres';
  }

  /**
   * Stores a message with the next seq of its conversation, in one transaction: the counter
   * row is created or incremented (`last_seq + 1 ... returning`), then the message inserted.
   * On PostgreSQL the counter row's lock serializes concurrent senders; SQLite has one writer.
   * A failed insert (duplicate clientMsgId) rolls the increment back, so seqs never gap.
   * On SQLite the transaction is shared with the other sends of the same moment (WriteBatcher).
   * The `message.created` webhook is written in the same transaction. On PostgreSQL a send with
   * no mentions and no webhook is one statement instead (APPEND_IN_ONE_STATEMENT).
   * `unlessBlocked`: a direct message is stored only if its recipient has not blocked its
   * sender, checked in the same transaction (undefined when blocked: nothing is written).
   */
  append(
    conversation: ConversationKey,
    message: NewMessage,
    mentions: readonly string[] = [],
    unlessBlocked?: BlockPair,
  ): Promise<MessageRow | undefined> {
    if (this.postgres && !mentions.length && !this.webhooks.wants('message.created'))
      return this.appendInOneStatement(conversation, message, unlessBlocked);
    return this.writes.transaction(async (trx) => {
      if (unlessBlocked && (await blockRow(trx, unlessBlocked)).rows.length) return undefined;
      const seq = (await nextSeq(trx, { ...conversation, at: message.created_at })).rows[0].last_seq;
      const row = messageRow(conversation.id, message, Number(seq), mentions);
      await insertMessage(trx, row);
      if (mentions.length) {
        await trx
          .insertInto('message_mentions')
          .values(mentions.map((user_id) => ({ conversation_id: conversation.id, seq: row.seq, user_id })))
          .execute();
      }
      if (this.webhooks.wants('message.created')) await this.webhooks.record(trx, 'message.created', { message: toMessage(row) });
      return row;
    });
  }

  private async appendInOneStatement(
    conversation: ConversationKey,
    message: NewMessage,
    unlessBlocked?: BlockPair,
  ): Promise<MessageRow | undefined> {
    const row = messageRow(conversation.id, message, 0, []);
    const c = conversation;
    const params = [c.id, c.kind, c.room_id, c.user_a, c.user_b, row.created_at, row.id, ...MESSAGE_COLUMNS.slice(3).map((k) => row[k])];
    params.push(unlessBlocked?.blockerId ?? null, unlessBlocked?.blockedId ?? null);
    const { rows } = await this.db.executeQuery<{ seq: number }>(CompiledQuery.raw(APPEND_IN_ONE_STATEMENT, params));
    if (!rows.length) return undefined;
    row.seq = Number(rows[0].seq);
    return row;
  }

  findByClientMsgId(senderId: string, clientMsgId: string): Promise<MessageRow | undefined> {
    return this.db
      .selectFrom('messages')
      .selectAll()
      .where('sender_id', '=', senderId)
      .where('client_msg_id', '=', clientMsgId)
      .executeTakeFirst();
  }

  findConversation(id: string): Promise<ConversationRow | undefined> {
    return this.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * A page of messages in ascending seq. With `after`: the oldest `limit` newer than it
   * (`hasMore`: more newer ones). Otherwise the newest `limit` (below `before` if given;
   * `hasMore`: older ones exist).
   */
  async history(conversationId: string, { before, after, limit }: HistoryBounds): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
    let query = this.db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId);
    if (after !== undefined) query = query.where('seq', '>', after);
    if (before !== undefined) query = query.where('seq', '<', before);
    const forward = after !== undefined;
    const rows = await query
      .orderBy('seq', forward ? 'asc' : 'desc')
      .limit(limit + 1)
      .execute();
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    return { rows: forward ? page : page.reverse(), hasMore };
  }

  /**
   * Moves the user's read pointer forward to `seq`; never backwards. Returns whether it moved
   * (the conditional upsert returns no row when the stored pointer is already at or past it).
   */
  async advanceReadPointer(conversationId: string, userId: string, seq: number, at: string): Promise<boolean> {
    const moved = await this.db
      .insertInto('conversation_reads')
      .values({ conversation_id: conversationId, user_id: userId, last_read_seq: seq, updated_at: at })
      .onConflict((oc) =>
        oc
          .columns(['conversation_id', 'user_id'])
          .doUpdateSet({ last_read_seq: seq, updated_at: at })
          .where('conversation_reads.last_read_seq', '<', seq),
      )
      .returning('last_read_seq')
      .executeTakeFirst();
    return moved !== undefined;
  }

  async readPointer(conversationId: string, userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('conversation_reads')
      .select('last_read_seq')
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? Number(row.last_read_seq) : 0;
  }

  /**
   * One page of the user's conversations (their DMs and the rooms they are a member of), latest
   * activity first (`coalesce(last_message_at, created_at)`, then id, both descending), strictly
   * after `before`, with read pointer and last message. Three ordered sub-queries of at most
   * `limit + 1` rows each (user_a = me, user_b = me, my rooms) are merged in SQL: the DM sides
   * read a bounded range of the activity indexes (migration 0005), the rooms side is bounded by
   * the number of rooms a user may be in. `hasMore`: rows beyond this page exist.
   */
  async listPage(userId: string, { limit, before }: ConversationPageBounds): Promise<{ rows: ConversationListRow[]; hasMore: boolean }> {
    // Written exactly as the indexed expression so both engines use the index.
    const activity = sql<string>`coalesce(${sql.ref('c.last_message_at')}, ${sql.ref('c.created_at')})`;
    // `activity <= x and (activity < x or id < y)`: a range both engines can seek to.
    const seek =
      before &&
      sql<SqlBool>`${activity} <= ${before.activity} and (${activity} < ${before.activity} or ${sql.ref('c.id')} < ${before.conversationId})`;
    const side = (column: 'c.user_a' | 'c.user_b') =>
      this.db
        .selectFrom('conversations as c')
        .selectAll('c')
        .select(activity.as('activity'))
        .where(column, '=', userId)
        // A note-to-self conversation has the user on both sides: listed once, from user_a.
        .$if(column === 'c.user_b', (qb) => qb.where('c.user_a', '<>', userId))
        .$if(seek !== undefined, (qb) => qb.where(seek!))
        .orderBy(activity, 'desc')
        .orderBy('c.id', 'desc')
        .limit(limit + 1);
    const rooms = this.db
      .selectFrom('room_members as rm')
      .innerJoin('conversations as c', 'c.room_id', 'rm.room_id')
      .selectAll('c')
      .select(activity.as('activity'))
      .where('rm.user_id', '=', userId)
      .$if(seek !== undefined, (qb) => qb.where(seek!))
      .orderBy(activity, 'desc')
      .orderBy('c.id', 'desc')
      .limit(limit + 1);
    const merged = this.db
      .selectFrom(side('c.user_a').as('a'))
      .selectAll()
      .unionAll(this.db.selectFrom(side('c.user_b').as('b')).selectAll())
      .unionAll(this.db.selectFrom(rooms.as('r')).selectAll())
      .orderBy('activity', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1);
    const rows = await this.db
      .selectFrom(merged.as('p'))
      .leftJoin('conversation_reads as r', (join) => join.onRef('r.conversation_id', '=', 'p.id').on('r.user_id', '=', userId))
      .leftJoin('messages as m', (join) => join.onRef('m.conversation_id', '=', 'p.id').onRef('m.seq', '=', 'p.last_seq'))
      .selectAll('p')
      .select([
        'r.last_read_seq',
        'm.id as m_id',
        'm.seq as m_seq',
        'm.sender_id as m_sender_id',
        'm.sender_username as m_sender_username',
        'm.recipient_id as m_recipient_id',
        'm.room_id as m_room_id',
        'm.content as m_content',
        'm.client_msg_id as m_client_msg_id',
        'm.created_at as m_created_at',
        'm.edited_at as m_edited_at',
        'm.deleted_at as m_deleted_at',
        'm.reply_to as m_reply_to',
        'm.mentions as m_mentions',
        'm.reactions as m_reactions',
      ])
      .orderBy('p.activity', 'desc')
      .orderBy('p.id', 'desc')
      .execute();
    const hasMore = rows.length > limit;
    return {
      hasMore,
      rows: rows.slice(0, limit).map((r) => ({
        id: r.id,
        kind: r.kind,
        room_id: r.room_id,
        user_a: r.user_a,
        user_b: r.user_b,
        last_seq: Number(r.last_seq),
        last_change: Number(r.last_change),
        last_message_at: r.last_message_at,
        created_at: r.created_at,
        activity: r.activity,
        last_read_seq: r.last_read_seq === null ? null : Number(r.last_read_seq),
        last_message:
          r.m_id === null
            ? undefined
            : {
                id: r.m_id,
                conversation_id: r.id,
                seq: Number(r.m_seq),
                sender_id: r.m_sender_id!,
                sender_username: r.m_sender_username!,
                recipient_id: r.m_recipient_id,
                room_id: r.m_room_id,
                content: r.m_content!,
                client_msg_id: r.m_client_msg_id,
                created_at: r.m_created_at!,
                edited_at: r.m_edited_at,
                deleted_at: r.m_deleted_at,
                reply_to: r.m_reply_to,
                mentions: r.m_mentions,
                reactions: r.m_reactions,
              },
      })),
    };
  }

  /** Messages from others after the user's read pointer, per conversation (absent: none). */
  async unreadCounts(userId: string, conversationIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await inBatches(conversationIds, (chunk) =>
      this.db
        .selectFrom('messages as m')
        .leftJoin('conversation_reads as r', (join) =>
          join.onRef('r.conversation_id', '=', 'm.conversation_id').on('r.user_id', '=', userId),
        )
        .select(['m.conversation_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('m.conversation_id', 'in', chunk)
        .where('m.sender_id', '<>', userId)
        .where((eb) => eb('m.seq', '>', eb.fn.coalesce('r.last_read_seq', sql<number>`0`)))
        .groupBy('m.conversation_id')
        .execute(),
    );
    return new Map(rows.map((r) => [r.conversation_id, Number(r.n)]));
  }

  /** Messages after the user's read pointer that mention them, per conversation (absent: none). */
  async mentionCounts(userId: string, conversationIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await inBatches(conversationIds, (chunk) =>
      this.db
        .selectFrom('message_mentions as mm')
        .leftJoin('conversation_reads as r', (join) =>
          join.onRef('r.conversation_id', '=', 'mm.conversation_id').on('r.user_id', '=', userId),
        )
        .select(['mm.conversation_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('mm.user_id', '=', userId)
        .where('mm.conversation_id', 'in', chunk)
        .where((eb) => eb('mm.seq', '>', eb.fn.coalesce('r.last_read_seq', sql<number>`0`)))
        .groupBy('mm.conversation_id')
        .execute(),
    );
    return new Map(rows.map((r) => [r.conversation_id, Number(r.n)]));
  }
}
