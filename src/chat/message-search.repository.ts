import { Injectable } from '@nestjs/common';
import { sql, type SqlBool } from 'kysely';
import { InjectConfig, type AppConfig } from '../config/config.module';
import type { Db } from '../storage/database';
import { InjectDb } from '../storage/database.module';
import type { MessageRow } from './messages.repository';

export interface SearchBounds {
  /** Words to find, already split (letters and digits only); the last one also matches as a prefix. */
  terms: readonly string[];
  /** Only this conversation (the caller may read it: checked before). */
  conversationId?: string;
  offset: number;
  limit: number;
}

/**
 * `message:search` on the engines' own full text search (migration 0008): FTS5 with bm25 on
 * SQLite, `to_tsvector('simple', content)` with its GIN index and ts_rank on PostgreSQL. Terms
 * reach the engine as quoted terms built here from letters and digits only, so nothing a user
 * types is ever query syntax. Without `conversationId`, only what the user may read now: a DM
 * they are the sender or recipient of, or a room they are a member of. Tombstones never match
 * (their content is empty, and they are excluded).
 */
@Injectable()
export class MessageSearchRepository {
  private readonly postgres: boolean;

  constructor(
    @InjectDb() private readonly db: Db,
    @InjectConfig() config: AppConfig,
  ) {
    this.postgres = config.database.kind === 'postgres';
  }

  /**
   * SQLite: indexes up to `limit` messages past the watermark (migration 0012) in one transaction
   * and returns how many; 0 when nothing is pending. PostgreSQL indexes as it inserts: always 0.
   */
  async indexPending(limit: number): Promise<number> {
    if (this.postgres) return 0;
    return this.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ top: number | null }>`
        select max(rowid) as top from (select rowid from messages
          where rowid > (select indexed_rowid from messages_fts_state) order by rowid limit ${limit})`.execute(trx);
      const top = rows[0]?.top;
      if (top === null || top === undefined) return 0;
      const { numAffectedRows } = await sql`insert into messages_fts (rowid, content)
        select rowid, content from messages where rowid > (select indexed_rowid from messages_fts_state) and rowid <= ${top}`.execute(trx);
      await sql`update messages_fts_state set indexed_rowid = ${top}`.execute(trx);
      return Number(numAffectedRows ?? 0);
    });
  }

  async search(userId: string, bounds: SearchBounds): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
    const readable = (m: string) =>
      bounds.conversationId !== undefined
        ? sql<SqlBool>`${sql.ref(`${m}.conversation_id`)} = ${bounds.conversationId}`
        : sql<SqlBool>`(${sql.ref(`${m}.sender_id`)} = ${userId} and ${sql.ref(`${m}.room_id`)} is null
            or ${sql.ref(`${m}.recipient_id`)} = ${userId}
            or ${sql.ref(`${m}.room_id`)} in (select room_id from room_members where user_id = ${userId}))`;
    const rows = this.postgres ? await this.searchPostgres(bounds, readable('m')) : await this.searchSqlite(bounds, readable('m'));
    return { rows: rows.slice(0, bounds.limit), hasMore: rows.length > bounds.limit };
  }

  private async searchSqlite(bounds: SearchBounds, readable: ReturnType<typeof sql<SqlBool>>): Promise<MessageRow[]> {
    // FTS5 strings: "term" (a double quote doubled), the last one a prefix ("term"*); space = AND.
    const match = bounds.terms.map((t, i) => `"${t.replaceAll('"', '""')}"${i === bounds.terms.length - 1 ? '*' : ''}`).join(' ');
    const { rows } = await sql<MessageRow>`
      select m.* from messages_fts f join messages m on m.rowid = f.rowid
      where messages_fts match ${match} and m.deleted_at is null and ${readable}
      order by bm25(messages_fts), m.id desc
      limit ${bounds.limit + 1} offset ${bounds.offset}`.execute(this.db);
    return rows;
  }

  private async searchPostgres(bounds: SearchBounds, readable: ReturnType<typeof sql<SqlBool>>): Promise<MessageRow[]> {
    // tsquery: 'term' & 'term':* — the terms hold letters and digits only, quoted all the same.
    const query = bounds.terms.map((t, i) => `'${t.replaceAll("'", "''")}'${i === bounds.terms.length - 1 ? ':*' : ''}`).join(' & ');
    const { rows } = await sql<MessageRow>`
      select m.* from messages m, to_tsquery('simple', ${query}) q
      where to_tsvector('simple', m.content) @@ q and m.deleted_at is null and ${readable}
      order by ts_rank(to_tsvector('simple', m.content), q) desc, m.id desc
      limit ${bounds.limit + 1} offset ${bounds.offset}`.execute(this.db);
    return rows;
  }
}
