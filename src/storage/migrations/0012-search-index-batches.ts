import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * SQLite's search index is written in batches instead of by a trigger on every send.
 *
 * FTS5 writes a new index segment at every commit that indexed something: with the send's
 * trigger that was a segment per group commit of a few messages, and a send cost 2–3 times what
 * it cost without the index. `SearchIndexer` (src/chat/search-indexer.ts) now indexes the
 * messages past a watermark in batches of up to a thousand, a few times a second and before
 * every search, so a search still finds every committed message.
 *
 * - `messages_fts_state.indexed_rowid`: every message with a rowid up to it is in the index,
 *   and none above it. Rows indexed by the old trigger are all below it (it starts at the max).
 * - Edits and deletes still update the index in their own transaction, but only for rows it
 *   holds (an FTS5 'delete' of content it never indexed would corrupt it); a row past the
 *   watermark is indexed later with the content it has then.
 * - Deleting the row AT the watermark moves the watermark down to the next row that exists, so
 *   SQLite reusing that rowid (max + 1) for the next message cannot hide it below the watermark.
 *
 * PostgreSQL is untouched: its GIN index buffers new entries itself (`fastupdate`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await sql`create table messages_fts_state (id integer primary key check (id = 1), indexed_rowid integer not null)`.execute(db);
  await sql`insert into messages_fts_state (id, indexed_rowid) select 1, coalesce(max(rowid), 0) from messages`.execute(db);
  for (const t of ['messages_fts_insert', 'messages_fts_update', 'messages_fts_delete']) await sql`drop trigger ${sql.id(t)}`.execute(db);
  const indexed = '(select indexed_rowid from messages_fts_state)';
  await sql
    .raw(
      `create trigger messages_fts_update after update of content on messages when old.rowid <= ${indexed} begin
        insert into messages_fts (messages_fts, rowid, content) values ('delete', old.rowid, old.content);
        insert into messages_fts (rowid, content) values (new.rowid, new.content); end`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger messages_fts_delete after delete on messages when old.rowid <= ${indexed} begin
        insert into messages_fts (messages_fts, rowid, content) values ('delete', old.rowid, old.content);
        update messages_fts_state set indexed_rowid = coalesce((select max(rowid) from messages where rowid < old.rowid), 0)
          where indexed_rowid = old.rowid; end`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await sql`insert into messages_fts (rowid, content) select rowid, content from messages where rowid > (select indexed_rowid from messages_fts_state)`.execute(
    db,
  );
  for (const t of ['messages_fts_update', 'messages_fts_delete']) await sql`drop trigger ${sql.id(t)}`.execute(db);
  await sql`drop table messages_fts_state`.execute(db);
  await sql`create trigger messages_fts_insert after insert on messages begin
    insert into messages_fts (rowid, content) values (new.rowid, new.content); end`.execute(db);
  await sql`create trigger messages_fts_update after update of content on messages begin
    insert into messages_fts (messages_fts, rowid, content) values ('delete', old.rowid, old.content);
    insert into messages_fts (rowid, content) values (new.rowid, new.content); end`.execute(db);
  await sql`create trigger messages_fts_delete after delete on messages begin
    insert into messages_fts (messages_fts, rowid, content) values ('delete', old.rowid, old.content); end`.execute(db);
}
