import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../storage/database';
import type { UsersTable } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';
import { eachBatch, inBatches } from '../storage/in-batches';
import { WriteBatcher } from '../storage/write-batcher';

export type UserRow = Selectable<UsersTable>;

@Injectable()
export class UsersRepository {
  constructor(
    @InjectDb() private readonly db: Db,
    private readonly writes: WriteBatcher,
  ) {}

  async insert(row: Insertable<UsersTable>): Promise<void> {
    await this.db.insertInto('users').values(row).execute();
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Any number of ids: the `IN` list is split under the engines' parameter limits. */
  findByIds(ids: readonly string[]): Promise<UserRow[]> {
    return inBatches(ids, (chunk) => this.db.selectFrom('users').selectAll().where('id', 'in', chunk).execute());
  }

  findByExternalId(externalId: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('external_id', '=', externalId).executeTakeFirst();
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
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  /** Usernames starting with `prefix` (already lower-case), alphabetical. */
  search(prefix: string, limit: number): Promise<UserRow[]> {
    let query = this.db.selectFrom('users').selectAll();
    if (prefix) {
      const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      query = query.where(sql<boolean>`username like ${`${escaped}%`} escape '\\'`);
    }
    return query.orderBy('username').limit(limit).execute();
  }

  /** Once per user going offline: committed with the other writes of the moment (a deploy's mass disconnect). */
  async setLastSeen(ids: readonly string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.writes.transaction((trx) =>
      eachBatch(ids, (chunk) => trx.updateTable('users').set({ last_seen_at: at }).where('id', 'in', chunk).execute()),
    );
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
