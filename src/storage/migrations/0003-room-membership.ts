import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * Room membership at scale and with consent:
 * - `room_members.added_by`: who added the user (`room:create { members }`), null when the user
 *   created or joined the room themselves. Caps count the two kinds separately, so nobody can use
 *   up another user's allowance. Existing rows stay null (they count as the user's own).
 * - `rooms.member_count`, kept by triggers on `room_members` (so it is right whichever code or
 *   version writes the rows, during a rolling deploy too): a room's size without counting it.
 * - indexes for keyset pages of a room's members (joined_at, user_id) and for a user's pending
 *   invites (oldest first, to drop past the bound).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('room_members').addColumn('added_by', 'varchar(64)').execute();
  await db.schema
    .alterTable('rooms')
    .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update rooms set member_count = (select count(*) from room_members where room_members.room_id = rooms.id)`.execute(db);
  await db.schema.createIndex('room_members_page_idx').on('room_members').columns(['room_id', 'joined_at', 'user_id']).execute();
  await db.schema.createIndex('room_invites_user_idx').on('room_invites').columns(['user_id', 'created_at', 'room_id']).execute();

  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`create trigger room_members_count_insert after insert on room_members
      begin update rooms set member_count = member_count + 1 where id = new.room_id; end`.execute(db);
    await sql`create trigger room_members_count_delete after delete on room_members
      begin update rooms set member_count = member_count - 1 where id = old.room_id; end`.execute(db);
    return;
  }
  // PostgreSQL: per statement, from the transition tables, so a statement adding many members
  // (room:create) updates the room's row once rather than once per member.
  await sql`create function room_members_count_insert() returns trigger language plpgsql as $$
    begin
      update rooms set member_count = rooms.member_count + n.count
        from (select room_id, count(*) as count from new_rows group by room_id) n where rooms.id = n.room_id;
      return null;
    end $$`.execute(db);
  await sql`create function room_members_count_delete() returns trigger language plpgsql as $$
    begin
      update rooms set member_count = rooms.member_count - o.count
        from (select room_id, count(*) as count from old_rows group by room_id) o where rooms.id = o.room_id;
      return null;
    end $$`.execute(db);
  await sql`create trigger room_members_count_insert after insert on room_members
    referencing new table as new_rows for each statement execute function room_members_count_insert()`.execute(db);
  await sql`create trigger room_members_count_delete after delete on room_members
    referencing old table as old_rows for each statement execute function room_members_count_delete()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`drop trigger room_members_count_insert`.execute(db);
    await sql`drop trigger room_members_count_delete`.execute(db);
  } else {
    await sql`drop trigger room_members_count_insert on room_members`.execute(db);
    await sql`drop trigger room_members_count_delete on room_members`.execute(db);
    await sql`drop function room_members_count_insert()`.execute(db);
    await sql`drop function room_members_count_delete()`.execute(db);
  }
  await db.schema.dropIndex('room_invites_user_idx').execute();
  await db.schema.dropIndex('room_members_page_idx').execute();
  await db.schema.alterTable('rooms').dropColumn('member_count').execute();
  await db.schema.alterTable('room_members').dropColumn('added_by').execute();
}
