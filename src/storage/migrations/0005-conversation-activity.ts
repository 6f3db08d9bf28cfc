import { sql, type Kysely } from 'kysely';

/**
 * Indexes for `conversation:list` pages (latest activity first): one page reads a bounded range
 * per side of a DM, not every conversation of the user. Activity is
 * `coalesce(last_message_at, created_at)`, indexed as that expression (both engines match it in
 * queries written the same way) rather than stored in a new column: no statement of the send
 * path changes, and instances of the previous version keep working during a rolling deploy.
 * Partial (`is not null`), so room conversations, which have no user_a/user_b, add no entries;
 * `room_id` joins a user's rooms to their conversations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const side of ['user_a', 'user_b'] as const) {
    await sql`create index ${sql.id(`conversations_${side}_activity_idx`)} on conversations (${sql.ref(side)}, coalesce(last_message_at, created_at), id) where ${sql.ref(side)} is not null`.execute(
      db,
    );
  }
  await db.schema.createIndex('conversations_room_id_idx').on('conversations').column('room_id').where('room_id', 'is not', null).execute();
  // A send now changes an indexed column, so PostgreSQL writes a new entry into every index of
  // the table (no HOT update): the single-column indexes, prefixes of the new ones (`user_a = ?`
  // implies `is not null`, so the previous version's queries use those), would only add to it.
  await db.schema.dropIndex('conversations_user_a_idx').execute();
  await db.schema.dropIndex('conversations_user_b_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('conversations_user_a_idx').on('conversations').column('user_a').execute();
  await db.schema.createIndex('conversations_user_b_idx').on('conversations').column('user_b').execute();
  for (const name of ['conversations_room_id_idx', 'conversations_user_b_activity_idx', 'conversations_user_a_activity_idx']) {
    await db.schema.dropIndex(name).execute();
  }
}
