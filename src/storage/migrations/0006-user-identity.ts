import type { Kysely } from 'kysely';

/**
 * Users that come from elsewhere, and users that are gone (version 0.2).
 *
 * - `external_id`: the subject an identity provider gave the user (`sub` of its tokens, or what the
 *   app's backend provisioned); unique where set, null for users who registered here.
 * - `deleted_at`: set when the app's backend deletes the user. The row stays so their messages keep
 *   an author id; the username is freed by the code that deletes (a new account may take it).
 *
 * Both nullable with no default, so instances of the previous version keep working during a rolling
 * deploy (they neither read nor write these columns).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('external_id', 'varchar(255)').execute();
  await db.schema.alterTable('users').addColumn('deleted_at', 'varchar(32)').execute();
  await db.schema.createIndex('users_external_id_idx').on('users').column('external_id').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_external_id_idx').execute();
  await db.schema.alterTable('users').dropColumn('deleted_at').execute();
  await db.schema.alterTable('users').dropColumn('external_id').execute();
}
