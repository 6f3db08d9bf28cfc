import { sql, type Kysely } from 'kysely';

/**
 * Indexes for `conversation:list` pages (latest activity first): one page costs a bounded index
 * range per side of a DM, not a scan of every conversation of the user. Activity is
 * `coalesce(last_message_at, created_at)`, indexed as that expression (both engines match it in
 * queries written the same way) rather than stored in a new column: nothing on the send path
 * changes, and instances of the previous version keep working during a rolling deploy.
 * Partial (`is not null`), so room conversations, which have no user_a/user_b, add no entries.
 * `room_id` is for joining a user's rooms to their conversations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const side of ['user_a', 'user_b'] as const) {
    await sql`create index ${sql.id(`conversations_${side}_activity_idx`)} on conversations (${sql.ref(side)}, coalesce(last_message_at, created_at), id) where ${sql.ref(side)} is not null`.execute(
      db,
    );
  }
  await db.schema.createIndex('conversations_room_id_idx').on('conversations').column('room_id').where('room_id', 'is not', null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ['conversations_room_id_idx', 'conversations_user_b_activity_idx', 'conversations_user_a_activity_idx']) {
    await db.schema.dropIndex(name).execute();
  }
}
