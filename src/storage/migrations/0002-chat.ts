import type { Kysely } from 'kysely';

/**
 * Chat: rooms, members, invites, conversations (one row per DM pair or room, holding the seq
 * counter), messages and read pointers. Messages keep the sender's username so history reads
 * one table, and reference users without a foreign key so deleting a user keeps the history
 * (and its gapless seqs) intact.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rooms')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('visibility', 'varchar(16)', (c) => c.notNull())
    .addColumn('owner_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rooms_visibility_idx').on('rooms').columns(['visibility', 'name']).execute();

  await db.schema
    .createTable('room_members')
    .addColumn('room_id', 'varchar(64)', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('joined_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('room_members_pk', ['room_id', 'user_id'])
    .execute();
  await db.schema.createIndex('room_members_user_idx').on('room_members').column('user_id').execute();

  await db.schema
    .createTable('room_invites')
    .addColumn('room_id', 'varchar(64)', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('invited_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('room_invites_pk', ['room_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'varchar(160)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('room_id', 'varchar(64)')
    .addColumn('user_a', 'varchar(64)')
    .addColumn('user_b', 'varchar(64)')
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_message_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('conversations_user_a_idx').on('conversations').column('user_a').execute();
  await db.schema.createIndex('conversations_user_b_idx').on('conversations').column('user_b').execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('conversation_id', 'varchar(160)', (c) => c.notNull().references('conversations.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sender_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('sender_username', 'varchar(32)', (c) => c.notNull())
    .addColumn('recipient_id', 'varchar(64)')
    .addColumn('room_id', 'varchar(64)')
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('client_msg_id', 'varchar(64)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  // The seq guarantee and the history index in one.
  await db.schema.createIndex('messages_conversation_seq_uq').on('messages').columns(['conversation_id', 'seq']).unique().execute();
  // Idempotent sends; NULL client_msg_id never collides on either engine.
  await db.schema.createIndex('messages_sender_client_msg_uq').on('messages').columns(['sender_id', 'client_msg_id']).unique().execute();

  await db.schema
    .createTable('conversation_reads')
    .addColumn('conversation_id', 'varchar(160)', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('last_read_seq', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_reads_pk', ['conversation_id', 'user_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['conversation_reads', 'messages', 'conversations', 'room_invites', 'room_members', 'rooms']) {
    await db.schema.dropTable(table).execute();
  }
}
