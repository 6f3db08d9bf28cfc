import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * Chat, complete (edits, tombstones, reactions, replies, mentions, search, catch-up). Additive
 * only, so the previous version keeps running during a rolling deploy:
 *
 * - `messages`: `edited_at`, `deleted_at` (a tombstone keeps its row and seq, with empty content),
 *   `reply_to` (JSON snapshot `{ id, seq, from, excerpt }`), `mentions` (JSON user ids) and
 *   `reactions` (JSON summary, rewritten with every reaction), all nullable.
 * - `message_reactions` (who reacted with what) and `message_mentions` (one row per mentioned user,
 *   for unread mention counts without reading messages).
 * - Catch-up: `conversations.last_change`, a per-conversation change counter, and
 *   `conversation_changes`, the LATEST change number of each subject (`m:<messageId>`,
 *   `r:<userId>` read pointer, `u:<userId>` membership), so it is bounded by messages + members,
 *   not by how often things change. Triggers keep them (on message UPDATEs, read pointers and room
 *   members), so every writer, another branch's room code or the previous version included,
 *   records its changes; a send (an INSERT) touches neither.
 * - Full text search: SQLite FTS5 (external content on messages' rowid, kept by triggers);
 *   PostgreSQL a GIN index on `to_tsvector('simple', content)` (an expression: no new column,
 *   nothing for the previous version to write). `simple`: no stemming, for any language.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['edited_at', 'deleted_at']) {
    await db.schema.alterTable('messages').addColumn(column, 'varchar(32)').execute();
  }
  for (const column of ['reply_to', 'mentions', 'reactions']) {
    await db.schema.alterTable('messages').addColumn(column, 'text').execute();
  }
  await db.schema
    .alterTable('conversations')
    .addColumn('last_change', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('message_reactions')
    .addColumn('message_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('emoji', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_reactions_pk', ['message_id', 'emoji', 'user_id'])
    .execute();
  await db.schema.createIndex('message_reactions_user_idx').on('message_reactions').columns(['message_id', 'user_id']).execute();

  await db.schema
    .createTable('message_mentions')
    .addColumn('conversation_id', 'varchar(160)', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_mentions_pk', ['conversation_id', 'seq', 'user_id'])
    .execute();
  await db.schema.createIndex('message_mentions_user_idx').on('message_mentions').columns(['user_id', 'conversation_id', 'seq']).execute();

  await db.schema
    .createTable('conversation_changes')
    .addColumn('conversation_id', 'varchar(160)', (c) => c.notNull())
    .addColumn('subject', 'varchar(80)', (c) => c.notNull())
    .addColumn('change', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_changes_pk', ['conversation_id', 'subject'])
    .execute();
  await db.schema
    .createIndex('conversation_changes_change_idx')
    .on('conversation_changes')
    .columns(['conversation_id', 'change'])
    .execute();

  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    // Delete then insert, not `insert or replace`: inside an UPSERT (message:read's pointer) the
    // outer statement's conflict handling overrides a trigger's `or replace`.
    const record = (conversation: string, subject: string) => `
      update conversations set last_change = last_change + 1 where id = ${conversation};
      delete from conversation_changes where conversation_id = ${conversation} and subject = ${subject};
      insert into conversation_changes (conversation_id, subject, change)
        select id, ${subject}, last_change from conversations where id = ${conversation};`;
    await sql
      .raw(`create trigger messages_change after update on messages begin ${record('new.conversation_id', "'m:' || new.id")} end`)
      .execute(db);
    for (const op of ['insert', 'update']) {
      await sql
        .raw(
          `create trigger conversation_reads_change_${op} after ${op} on conversation_reads begin ${record('new.conversation_id', "'r:' || new.user_id")} end`,
        )
        .execute(db);
    }
    for (const [op, row] of [
      ['insert', 'new'],
      ['update', 'new'],
      ['delete', 'old'],
    ] as const) {
      await sql
        .raw(
          `create trigger room_members_change_${op} after ${op} on room_members begin ${record(`'room:' || ${row}.room_id`, `'u:' || ${row}.user_id`)} end`,
        )
        .execute(db);
    }
    await sql`create virtual table messages_fts using fts5(content, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')`.execute(
      db,
    );
    await sql`create trigger messages_fts_insert after insert on messages begin
      insert into messages_fts (rowid, content) values (new.rowid, new.content); end`.execute(db);
    await sql`create trigger messages_fts_update after update of content on messages begin
      insert into messages_fts (messages_fts, rowid, content) values ('delete', old.rowid, old.content);
      insert into messages_fts (rowid, content) values (new.rowid, new.content); end`.execute(db);
    await sql`create trigger messages_fts_delete after delete on messages begin
      insert into messages_fts (messages_fts, rowid, content) values ('delete', old.rowid, old.content); end`.execute(db);
    await sql`insert into messages_fts (messages_fts) values ('rebuild')`.execute(db);
    return;
  }

  // Parameters named apart from the columns (plpgsql would find `subject` ambiguous).
  await sql`create function record_conversation_change(p_conversation varchar, p_subject varchar) returns void language plpgsql as $$
    declare n integer;
    begin
      update conversations set last_change = last_change + 1 where id = p_conversation returning last_change into n;
      if n is not null then
        insert into conversation_changes (conversation_id, subject, change) values (p_conversation, p_subject, n)
          on conflict (conversation_id, subject) do update set change = excluded.change;
      end if;
    end $$`.execute(db);
  await sql`create function messages_change() returns trigger language plpgsql as $$
    begin perform record_conversation_change(new.conversation_id, 'm:' || new.id); return null; end $$`.execute(db);
  await sql`create function conversation_reads_change() returns trigger language plpgsql as $$
    begin perform record_conversation_change(new.conversation_id, 'r:' || new.user_id); return null; end $$`.execute(db);
  await sql`create function room_members_change() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then perform record_conversation_change('room:' || old.room_id, 'u:' || old.user_id);
      else perform record_conversation_change('room:' || new.room_id, 'u:' || new.user_id); end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger messages_change after update on messages for each row execute function messages_change()`.execute(db);
  await sql`create trigger conversation_reads_change after insert or update on conversation_reads
    for each row execute function conversation_reads_change()`.execute(db);
  await sql`create trigger room_members_change after insert or update or delete on room_members
    for each row execute function room_members_change()`.execute(db);
  await sql`create index messages_search_idx on messages using gin (to_tsvector('simple', content))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const t of [
      'messages_change',
      'conversation_reads_change_insert',
      'conversation_reads_change_update',
      'room_members_change_insert',
      'room_members_change_update',
      'room_members_change_delete',
      'messages_fts_insert',
      'messages_fts_update',
      'messages_fts_delete',
    ]) {
      await sql`drop trigger ${sql.id(t)}`.execute(db);
    }
    await sql`drop table messages_fts`.execute(db);
  } else {
    await sql`drop index messages_search_idx`.execute(db);
    await sql`drop trigger messages_change on messages`.execute(db);
    await sql`drop trigger conversation_reads_change on conversation_reads`.execute(db);
    await sql`drop trigger room_members_change on room_members`.execute(db);
    for (const f of ['messages_change', 'conversation_reads_change', 'room_members_change'])
      await sql`drop function ${sql.id(f)}()`.execute(db);
    await sql`drop function record_conversation_change(varchar, varchar)`.execute(db);
  }
  for (const table of ['conversation_changes', 'message_mentions', 'message_reactions']) await db.schema.dropTable(table).execute();
  await db.schema.alterTable('conversations').dropColumn('last_change').execute();
  for (const column of ['edited_at', 'deleted_at', 'reply_to', 'mentions', 'reactions']) {
    await db.schema.alterTable('messages').dropColumn(column).execute();
  }
}
