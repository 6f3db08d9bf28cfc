import { Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import type { ReactionSummary } from '../contracts';
import { InjectConfig, type AppConfig } from '../config/config.module';
import type { Db } from '../storage/database';
import { InjectDb } from '../storage/database.module';
import type { Database } from '../storage/database.types';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { toMessage } from './chat.mapper';
import type { ConversationKey, MessageRow } from './messages.repository';

type Trx = Transaction<Database>;

/** Users `reactions[].userIds` shows per emoji (`count` has them all). */
export const REACTION_USERS_SHOWN = 20;

export interface ReactionBounds {
  /** Distinct emojis one message may carry. */
  emojisPerMessage: number;
  /** Reactions one user may put on one message. */
  perUser: number;
}

export type ReactOutcome = { row: MessageRow; changed: boolean } | { limit: 'emojis' | 'perUser' };

/**
 * The writes of `message:edit`, `message:delete` and `message:react`, each one transaction on the
 * message's row (locked first on PostgreSQL, so concurrent reactions rewrite the summary in turn).
 * The change counter and the search index follow by triggers (migration 0008); the
 * `message.updated` / `message.deleted` webhooks are written in the same transaction.
 */
@Injectable()
export class MessageEditsRepository {
  private readonly postgres: boolean;

  constructor(
    @InjectDb() private readonly db: Db,
    @InjectConfig() config: AppConfig,
    private readonly webhooks: WebhookOutbox,
  ) {
    this.postgres = config.database.kind === 'postgres';
  }

  findById(id: string): Promise<MessageRow | undefined> {
    return this.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findInConversation(conversationId: string, id: string): Promise<MessageRow | undefined> {
    return this.db.selectFrom('messages').selectAll().where('id', '=', id).where('conversation_id', '=', conversationId).executeTakeFirst();
  }

  /** Of these usernames, the ids of the users who take part in the conversation (one query). */
  async participantIds(
    conversation: Pick<ConversationKey, 'kind' | 'room_id' | 'user_a' | 'user_b'>,
    usernames: readonly string[],
  ): Promise<Map<string, string>> {
    let query = this.db
      .selectFrom('users')
      .select(['users.id', 'users.username'])
      .where('users.username', 'in', usernames)
      .where('users.deleted_at', 'is', null);
    if (conversation.kind === 'room') {
      query = query.innerJoin('room_members as rm', (j) =>
        j.onRef('rm.user_id', '=', 'users.id').on('rm.room_id', '=', conversation.room_id),
      );
    } else {
      query = query.where('users.id', 'in', [conversation.user_a!, conversation.user_b!]);
    }
    const rows = await query.execute();
    return new Map(rows.map((r) => [r.username, r.id]));
  }

  /** New content and mentions; undefined when the message is gone (deleted meanwhile). */
  edit(id: string, content: string, mentions: readonly string[], at: string): Promise<MessageRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('messages')
        .set({ content, edited_at: at, mentions: mentions.length ? JSON.stringify(mentions) : null })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await this.replaceMentions(trx, row, mentions);
      await this.webhooks.record(trx, 'message.updated', { message: toMessage(row) });
      return row;
    });
  }

  /** Makes the message a tombstone; undefined when it already is one (nothing changes). */
  delete(id: string, at: string): Promise<MessageRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('messages')
        .set({ content: '', deleted_at: at, mentions: null, reactions: null, reply_to: null })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await this.replaceMentions(trx, row, []);
      await trx.deleteFrom('message_reactions').where('message_id', '=', id).execute();
      await this.webhooks.record(trx, 'message.deleted', { messageId: id, conversationId: row.conversation_id });
      return row;
    });
  }

  /**
   * Adds or removes one reaction and rewrites the message's summary (the changed emoji only).
   * Past a bound the outcome names it and nothing is written; a reaction already there (or
   * absent) changes nothing and writes nothing.
   */
  react(id: string, userId: string, emoji: string, on: boolean, bounds: ReactionBounds, at: string): Promise<ReactOutcome | undefined> {
    return this.db
      .transaction()
      .execute(async (trx): Promise<ReactOutcome | undefined> => {
        const row = await trx
          .selectFrom('messages')
          .selectAll()
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .$if(this.postgres, (qb) => qb.forUpdate())
          .executeTakeFirst();
        if (!row) return undefined;
        const summary: ReactionSummary[] = row.reactions ? (JSON.parse(row.reactions) as ReactionSummary[]) : [];
        const known = summary.find((r) => r.emoji === emoji);
        if (on) {
          if (!known && summary.length >= bounds.emojisPerMessage) return { limit: 'emojis' };
          const mine = await trx
            .selectFrom('message_reactions')
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .where('message_id', '=', id)
            .where('user_id', '=', userId)
            .executeTakeFirstOrThrow();
          const result = await trx
            .insertInto('message_reactions')
            .values({ message_id: id, emoji, user_id: userId, created_at: at })
            .onConflict((oc) => oc.columns(['message_id', 'emoji', 'user_id']).doNothing())
            .executeTakeFirst();
          if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return { row, changed: false };
          // Counted before the insert: a repeated reaction above was answered without this check.
          if (Number(mine.n) >= bounds.perUser) throw new ReactionCapReached();
        } else {
          const result = await trx
            .deleteFrom('message_reactions')
            .where('message_id', '=', id)
            .where('emoji', '=', emoji)
            .where('user_id', '=', userId)
            .executeTakeFirst();
          if (Number(result.numDeletedRows) === 0) return { row, changed: false };
        }
        const users = await trx
          .selectFrom('message_reactions')
          .select('user_id')
          .where('message_id', '=', id)
          .where('emoji', '=', emoji)
          .orderBy('created_at')
          .orderBy('user_id')
          .limit(REACTION_USERS_SHOWN)
          .execute();
        const count = known ? known.count + (on ? 1 : -1) : 1;
        const entry: ReactionSummary = { emoji, count, userIds: users.map((u) => u.user_id) };
        const next = known ? summary.map((r) => (r === known ? entry : r)).filter((r) => r.count > 0) : [...summary, entry];
        const updated = await trx
          .updateTable('messages')
          .set({ reactions: next.length ? JSON.stringify(next) : null })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await this.webhooks.record(trx, 'message.updated', { message: toMessage(updated) });
        return { row: updated, changed: true };
      })
      .catch((error: unknown) => {
        if (error instanceof ReactionCapReached) return { limit: 'perUser' as const };
        throw error;
      });
  }

  private async replaceMentions(trx: Trx, row: MessageRow, mentions: readonly string[]): Promise<void> {
    await trx.deleteFrom('message_mentions').where('conversation_id', '=', row.conversation_id).where('seq', '=', row.seq).execute();
    if (mentions.length) {
      await trx
        .insertInto('message_mentions')
        .values(mentions.map((user_id) => ({ conversation_id: row.conversation_id, seq: row.seq, user_id })))
        .execute();
    }
  }
}

/** Rolls the reaction's insert back when the user's bound was already reached. */
class ReactionCapReached extends Error {}
