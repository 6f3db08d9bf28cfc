import type { Kysely } from 'kysely';

/**
 * The webhook outbox (version 0.2): one row per event and receiver URL, written in the same
 * transaction as the change it reports, deleted once delivered (or given up on).
 *
 * - `next_attempt_at` is both the retry schedule and the lease: an instance that claims a row
 *   moves it into the future by the delivery timeout, so a crash mid-delivery only delays it.
 * - A new table only, so instances of the previous version keep running during a rolling deploy.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_outbox')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('url', 'varchar(2048)', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('next_attempt_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'varchar(255)')
    .execute();
  await db.schema.createIndex('webhook_outbox_due_idx').on('webhook_outbox').column('next_attempt_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_outbox').execute();
}
