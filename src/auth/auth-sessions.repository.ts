import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../storage/database';
import type { AuthSessionsTable, UsersTable } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';
import { preparedQuery } from '../storage/prepared-query';

export type AuthSessionRow = Selectable<AuthSessionsTable>;

/** The user row and, when the token names one, whether its login still exists. */
export type PrincipalRow = Selectable<UsersTable> & { auth_session_user_id: string | null };

/** Used refresh tokens kept per login for reuse detection (older used ones are forgotten: a reuse of those is just refused). */
const USED_TOKENS_KEPT = 20;

/**
 * Named columns, not `users.*`: on PostgreSQL this is a prepared statement per connection, and a
 * column that a newer version's migration adds during a rolling deploy would change the result
 * type of `*` under it ("cached plan must not change result type").
 */
const USER_COLUMNS = [
  'users.id',
  'users.username',
  'users.display_name',
  'users.password_hash',
  'users.created_at',
  'users.last_seen_at',
  'users.external_id',
  'users.deleted_at',
  'users.tokens_valid_after',
] as const satisfies readonly `users.${keyof UsersTable}`[];

/** Asked by every authentication (each handshake and REST request). */
const principalRow = preparedQuery(['userId', 'authSessionId', 'now'], (db, p: { userId: string; authSessionId: string; now: string }) =>
  db
    .selectFrom('users')
    .leftJoin('auth_sessions as s', (join) => join.on('s.id', '=', p.authSessionId).on('s.expires_at', '>', p.now))
    .select(USER_COLUMNS)
    .select('s.user_id as auth_session_user_id')
    .where('users.id', '=', p.userId),
);

@Injectable()
export class AuthSessionsRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  /**
   * The revocation check rides on the user lookup every authentication does anyway: one indexed
   * query on both engines, read from the database every time, so a logout on any instance is
   * seen by every instance at once and there is no cache to invalidate.
   */
  principal(userId: string, authSessionId: string | undefined): Promise<PrincipalRow | undefined> {
    return principalRow(this.db, { userId, authSessionId: authSessionId ?? '', now: new Date().toISOString() }).then((r) => r.rows[0]);
  }

  /** A new login and its first refresh token; the user's least recently used logins beyond `keep` go. */
  async start(row: Insertable<AuthSessionsTable>, tokenHash: string, keep: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('auth_sessions').values(row).execute();
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: tokenHash, auth_session_id: row.id, expires_at: row.expires_at })
        .execute();
      await sql`delete from auth_sessions where id in (
        select id from auth_sessions where user_id = ${row.user_id} order by last_seen_at desc limit 100 offset ${keep})`.execute(trx);
    });
  }

  findToken(tokenHash: string) {
    return this.db
      .selectFrom('refresh_tokens as t')
      .innerJoin('auth_sessions as s', 's.id', 't.auth_session_id')
      .select(['t.token_hash', 't.used_at', 't.expires_at', 's.id as auth_session_id', 's.user_id'])
      .where('t.token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  /**
   * Exchanges a refresh token: marks it used (only if nobody did first, so two racing uses cannot
   * both win) and stores the next one. False when it was already used.
   */
  async rotate(usedHash: string, next: { hash: string; authSessionId: string; expiresAt: string }, now: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const marked = await trx
        .updateTable('refresh_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', usedHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(marked.numUpdatedRows) !== 1) return false;
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: next.hash, auth_session_id: next.authSessionId, expires_at: next.expiresAt })
        .execute();
      await trx
        .updateTable('auth_sessions')
        .set({ last_seen_at: now, expires_at: next.expiresAt })
        .where('id', '=', next.authSessionId)
        .execute();
      await sql`delete from refresh_tokens where token_hash in (
        select token_hash from refresh_tokens where auth_session_id = ${next.authSessionId} and used_at is not null
        order by used_at desc limit 1000 offset ${USED_TOKENS_KEPT})`.execute(trx);
      return true;
    });
  }

  /** Ends logins (their refresh tokens go with them); the ids that belonged to `userId` and existed. */
  async end(userId: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .deleteFrom('auth_sessions')
      .where('user_id', '=', userId)
      .where('id', 'in', [...ids])
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Every login of the user except `except`; ended, their ids. */
  async endAllBut(userId: string, except: string | undefined): Promise<string[]> {
    let query = this.db.deleteFrom('auth_sessions').where('user_id', '=', userId);
    if (except) query = query.where('id', '!=', except);
    return (await query.returning('id').execute()).map((r) => r.id);
  }

  /** The user's live logins, most recently used first, each with whether a socket of it is connected. */
  list(userId: string, limit: number) {
    return this.db
      .selectFrom('auth_sessions as s')
      .select((eb) => [
        's.id',
        's.created_at',
        's.last_seen_at',
        's.user_agent',
        eb
          .exists(
            eb
              .selectFrom('sessions')
              .select('sessions.id')
              .whereRef('sessions.auth_session_id', '=', 's.id')
              .where('sessions.connected', '=', 1),
          )
          .as('online'),
      ])
      .where('s.user_id', '=', userId)
      .where('s.expires_at', '>', new Date().toISOString())
      .orderBy('s.last_seen_at', 'desc')
      .limit(limit)
      .execute();
  }
}
