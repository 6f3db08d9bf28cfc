import type { Kysely } from 'kysely';

/**
 * Logins that can be refreshed, listed and ended (version 0.2).
 *
 * - `auth_sessions`: one per login (register, login); every access and refresh token of that login
 *   names it (`sid`), so ending it refuses them all. `ended_at` set = ended (logout, DELETE, password
 *   change, refresh token reuse); the row stays until it would have expired, for the revocation check.
 * - `refresh_tokens`: only the SHA-256 of each opaque token; `used_at` marks one that was exchanged,
 *   so a second use is detected (and ends its login, the whole token family).
 * - `sessions.auth_session_id`: the login a socket session was opened with (whether it is online).
 * - `users.tokens_valid_after`: tokens without a login (the identity provider's, and own tokens from
 *   before this version) issued at or before it are refused: logout of all sessions sets it.
 *
 * New tables and nullable columns only, so instances of the previous version keep running during a
 * rolling deploy.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('auth_sessions')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_seen_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('user_agent', 'varchar(256)')
    .addColumn('ended_at', 'varchar(32)')
    .addColumn('ended_reason', 'varchar(32)')
    .execute();
  await db.schema.createIndex('auth_sessions_user_idx').on('auth_sessions').columns(['user_id', 'last_seen_at']).execute();
  await db.schema.createIndex('auth_sessions_expires_idx').on('auth_sessions').column('expires_at').execute();
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('auth_session_id', 'varchar(64)', (c) => c.notNull().references('auth_sessions.id').onDelete('cascade'))
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('used_at', 'varchar(32)')
    .execute();
  await db.schema.createIndex('refresh_tokens_session_idx').on('refresh_tokens').column('auth_session_id').execute();
  await db.schema.alterTable('sessions').addColumn('auth_session_id', 'varchar(64)').execute();
  await db.schema.createIndex('sessions_auth_session_idx').on('sessions').column('auth_session_id').execute();
  await db.schema.alterTable('users').addColumn('tokens_valid_after', 'varchar(32)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('tokens_valid_after').execute();
  await db.schema.dropIndex('sessions_auth_session_idx').execute();
  await db.schema.alterTable('sessions').dropColumn('auth_session_id').execute();
  await db.schema.dropTable('refresh_tokens').execute();
  await db.schema.dropTable('auth_sessions').execute();
}
