import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../storage/database';
import type { UsersTable } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';
import { inBatches } from '../storage/in-batches';
import { WriteBatcher } from '../storage/write-batcher';

export type UserRow = Selectable<UsersTable>;

/** The password hash of users without a password here (provisioned, from an identity provider, deleted): none verifies. */
export const NO_PASSWORD = '!';

/** What a deleted user's messages show as the author's username (not a valid username: nobody can take it). */
export const DELETED_AUTHOR = '[deleted]';

/** The freed username of a deleted user: unique, at most 32 characters, never a valid username (`~`). */
export function tombstoneUsername(id: string): string {
  return `~${createHash('sha256').update(id).digest('base64url').slice(0, 24)}`;
}

@Injectable()
export class UsersRepository {
  constructor(
    @InjectDb() private readonly db: Db,
    private readonly writes: WriteBatcher,
  ) {}

  async insert(row: Insertable<UsersTable>): Promise<void> {
    await this.db.insertInto('users').values(row).execute();
  }

  /**
   * Users that exist: a deleted user resolves as no user everywhere (tokens, handshakes, DMs,
   * presence, search), so their tokens are refused on every instance from the commit on.
   */
  private live() {
    return this.db.selectFrom('users').selectAll().where('deleted_at', 'is', null);
  }

  /** Inserts unless a user with that id exists (the server API's system user, made on first use). */
  async insertIfAbsent(row: Insertable<UsersTable>): Promise<void> {
    await this.db
      .insertInto('users')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.live().where('id', '=', id).executeTakeFirst();
  }

  /** Any number of ids: the `IN` list is split under the engines' parameter limits. */
  findByIds(ids: readonly string[]): Promise<UserRow[]> {
    return inBatches(ids, (chunk) => this.live().where('id', 'in', chunk).execute());
  }

  /** Which of these usernames are taken (one query for a provisioning's candidates). */
  async takenUsernames(usernames: readonly string[]): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('users')
      .select('username')
      .where('username', 'in', [...usernames])
      .execute();
    return new Set(rows.map((r) => r.username));
  }

  async update(id: string, changes: { display_name?: string; password_hash?: string; tokens_valid_after?: string }): Promise<void> {
    await this.db.updateTable('users').set(changes).where('id', '=', id).execute();
  }

  findByUsername(username: string): Promise<UserRow | undefined> {
    return this.live().where('username', '=', username).executeTakeFirst();
  }

  findByExternalId(externalId: string): Promise<UserRow | undefined> {
    return this.live().where('external_id', '=', externalId).executeTakeFirst();
  }

  /**
   * Marks the user deleted, in one transaction: the row stays (messages keep their author id),
   * the username and external id are freed, the password is unusable, sessions are deleted, and
   * their messages show `DELETED_AUTHOR` as the author's username (so a new account taking the
   * name does not seem to have written them). False when there was no such live user.
   */
  markDeleted(id: string, at: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('users')
        .set({
          deleted_at: at,
          username: tombstoneUsername(id),
          display_name: 'Deleted user',
          password_hash: NO_PASSWORD,
          external_id: null,
        })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await trx.updateTable('messages').set({ sender_username: DELETED_AUTHOR }).where('sender_id', '=', id).execute();
      await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
      // Their logins and refresh tokens end with them (tokens are refused anyway: a deleted user resolves as nobody).
      await trx
        .deleteFrom('refresh_tokens')
        .where('auth_session_id', 'in', (eb) => eb.selectFrom('auth_sessions').select('id').where('user_id', '=', id))
        .execute();
      await trx.deleteFrom('auth_sessions').where('user_id', '=', id).execute();
      return true;
    });
  }

  /** Usernames starting with `prefix` (already lower-case), alphabetical. */
  search(prefix: string, limit: number): Promise<UserRow[]> {
    let query = this.live();
    if (prefix) {
      const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      query = query.where(sql<boolean>`username like ${`${escaped}%`} escape '\\'`);
    }
    return query.orderBy('username').limit(limit).execute();
  }

  /**
   * Once per user going offline: committed with the other writes of the moment on SQLite (a
   * deploy's mass disconnect), a statement per IN_BATCH_SIZE users on PostgreSQL. Answers the users
   * it wrote (deleted ones are left alone), so going offline needs no read of its own.
   */
  setLastSeen(ids: readonly string[], at: string): Promise<UserRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.writes.statement((db) =>
      inBatches(ids, (chunk) =>
        db.updateTable('users').set({ last_seen_at: at }).where('id', 'in', chunk).where('deleted_at', 'is', null).returningAll().execute(),
      ),
    );
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
