import type { Kysely } from 'kysely';

/**
 * Room roles and blocking (version 0.2).
 *
 * - `user_blocks`: who blocked whom. The primary key (blocker, blocked) answers "did B block A"
 *   (a DM, a presence answer) with one lookup and lists a blocker's blocks in order; the index on
 *   (blocked, blocker) answers "who among these users blocked me" for presence pages.
 * - Roles: `room_members.role` (varchar) gains the value `admin` beside `owner` and `member`; no
 *   column changes. The previous version reads an admin as a plain member during a rolling
 *   deploy, which never grants more than it should.
 *
 * A new table only, so instances of the previous version keep working while this one rolls out.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_blocks')
    .addColumn('blocker_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('blocked_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_blocks_pk', ['blocker_id', 'blocked_id'])
    .execute();
  await db.schema.createIndex('user_blocks_blocked_idx').on('user_blocks').columns(['blocked_id', 'blocker_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('user_blocks').execute();
}
