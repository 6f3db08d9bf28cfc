import type { Kysely } from 'kysely';

/**
 * Session expiry (SESSION_TTL_DAYS) and the per-user bound (MAX_SESSIONS_PER_USER).
 * - `connected`: 1 from the handshake that creates or resumes a session until its last socket
 *   goes, so pruning a user's least recently used sessions on the handshake can leave the ones in
 *   use alone without asking the connection registry. A hint only: the sweeper asks the registry.
 * - (user_id, connected, last_seen_at): that prune reads one user's sessions in exactly its
 *   order from the index; it also serves lookups by user, so the plain user_id index goes
 *   (dropping an index is safe for instances of the previous version during a rolling deploy).
 * - (last_seen_at): the sweeper's range scan of sessions past the TTL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('sessions')
    .addColumn('connected', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('sessions_user_lru_idx').on('sessions').columns(['user_id', 'connected', 'last_seen_at']).execute();
  await db.schema.createIndex('sessions_last_seen_idx').on('sessions').column('last_seen_at').execute();
  await db.schema.dropIndex('sessions_user_id_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();
  await db.schema.dropIndex('sessions_last_seen_idx').execute();
  await db.schema.dropIndex('sessions_user_lru_idx').execute();
  await db.schema.alterTable('sessions').dropColumn('connected').execute();
}
