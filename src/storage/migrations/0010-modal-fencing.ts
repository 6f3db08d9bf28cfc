import type { Kysely } from 'kysely';

/**
 * Fencing tokens of modal locks never go back (version 0.2).
 *
 * `modal_fencing_epochs` has one row (`id` 1): each start of an instance without Redis takes the
 * next `epoch` and hands out tokens `epoch * 1e9 + n`, so a restarted process, whose in-process
 * locks are gone, never gives a token it gave before. (With Redis the tokens come from one Redis
 * counter instead.) A new table only: the previous version, during a rolling deploy, never reads it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('modal_fencing_epochs')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('modal_fencing_epochs').execute();
}
