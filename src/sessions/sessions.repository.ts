import { Injectable } from '@nestjs/common';
import { CompiledQuery, sql, type Insertable, type Selectable } from 'kysely';
import { InjectConfig, type AppConfig } from '../config/config.module';
import type { Db } from '../storage/database';
import type { SessionsTable } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';
import { registerHotStatement } from '../storage/pg-named-statements';
import { preparedQuery } from '../storage/prepared-query';
import { WriteBatcher } from '../storage/write-batcher';

export type SessionRow = Selectable<SessionsTable>;
export type NewSessionRow = Insertable<SessionsTable>;

const SESSION_COLUMNS = ['id', 'user_id', 'created_at', 'last_seen_at', 'connected', 'auth_session_id'] as const;
const insertSession = preparedQuery(SESSION_COLUMNS, (db, row: Required<NewSessionRow>) => db.insertInto('sessions').values(row));

/**
 * PostgreSQL: the insert and the prune as ONE statement, its own transaction (one round trip, not
 * four). The prune's subquery does not see the row its CTE inserts (one snapshot), so it keeps
 * MAX_SESSIONS_PER_USER − 1 of the others; the new one is always kept.
 */
const INSERT_AND_PRUNE = `with s as (
  insert into sessions (${SESSION_COLUMNS.join(', ')}) values ($1, $2, $3, $4, $5, $6))
delete from sessions where id in (
  select id from sessions where user_id = $2 order by connected desc, last_seen_at desc limit $7 offset $8)`;
registerHotStatement(INSERT_AND_PRUNE);

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Sessions per `left` statement: on SQLite (synchronous, on the event loop) 1,000 at once took
 * 20 to 33 ms in the benchmark's disconnect storm: a storm is written a quarter of that at a time.
 */
const LEFT_BATCH = 250;
/**
 * Most sessions one handshake's prune deletes: normally it is the one pushed out; after an upgrade
 * (sessions used to be kept forever) a user's backlog goes over a few handshakes, so a handshake
 * never holds the writer for long.
 */
const PRUNE_LIMIT = 100;

@Injectable()
export class SessionsRepository {
  private readonly ttlMs: number;
  private readonly maxPerUser: number;
  private readonly postgres: boolean;
  private readonly leftNow: (id: string) => Promise<void>;

  constructor(
    @InjectDb() private readonly db: Db,
    private readonly writes: WriteBatcher,
    @InjectConfig() config: Pick<AppConfig, 'sessions' | 'database'>,
  ) {
    this.ttlMs = config.sessions.ttlDays * DAY_MS;
    this.maxPerUser = config.sessions.maxPerUser;
    this.postgres = config.database.kind === 'postgres';
    this.leftNow = writes.coalesced<string>(
      (db, ids) =>
        db.updateTable('sessions').set({ last_seen_at: new Date().toISOString(), connected: 0 }).where('id', 'in', ids).execute(),
      LEFT_BATCH,
    );
  }

  /**
   * One per handshake without a resumable session, committed together with the other handshakes
   * and sends of the moment on SQLite, in one statement on PostgreSQL (INSERT_AND_PRUNE). The same unit keeps the user at MAX_SESSIONS_PER_USER: one statement
   * on the (user_id, connected, last_seen_at) index deletes the least recently used sessions beyond
   * it, those marked connected last (they are kept first: the new one is always kept).
   */
  async insert(row: NewSessionRow): Promise<void> {
    const full: Required<NewSessionRow> = { ...row, connected: row.connected ?? 1, auth_session_id: row.auth_session_id ?? null };
    if (this.postgres) {
      const params = [...SESSION_COLUMNS.map((k) => full[k]), PRUNE_LIMIT, Math.max(this.maxPerUser - 1, 0)];
      await this.db.executeQuery(CompiledQuery.raw(INSERT_AND_PRUNE, params));
      return;
    }
    await this.writes.transaction(async (trx) => {
      await insertSession(trx, full);
      // Plain SQL (the same on both engines): the query builder costs ~13 µs per handshake here, this ~2 µs.
      await sql`delete from sessions where id in (
        select id from sessions where user_id = ${row.user_id}
        order by connected desc, last_seen_at desc limit ${PRUNE_LIMIT} offset ${this.maxPerUser})`.execute(trx);
    });
  }

  findById(id: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Resumes session `id` if it is `userId`'s and was used within SESSION_TTL_DAYS of `now`: marks
   * it connected, used now and of login `authSessionId`, in the statement that checks (one round
   * trip on PostgreSQL; group-committed on SQLite). False when there is no such session.
   */
  async resume(id: string, userId: string, now: Date, authSessionId: string | null): Promise<boolean> {
    const at = now.toISOString();
    const rows = await this.writes.statement((db) =>
      db
        .updateTable('sessions')
        .set({ last_seen_at: at, connected: 1, auth_session_id: authSessionId })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('last_seen_at', '>=', this.expiryCutoff(now))
        .returning('id')
        .execute(),
    );
    return rows.length > 0;
  }

  /**
   * Records the session's last use now, its last socket gone (`connected` 0). Sessions that go
   * while one such write runs are written together by the next (`WriteBatcher.coalesced`): one
   * statement for many when a deploy or a network blip drops every socket at once.
   */
  left(id: string): Promise<void> {
    return this.leftNow(id);
  }

  /** Where sessions unused since before `now` − SESSION_TTL_DAYS end. */
  expiryCutoff(now: Date): string {
    return new Date(now.getTime() - this.ttlMs).toISOString();
  }

  /** Up to `limit` sessions last used before `cutoff`, oldest first, after `after` (a page cursor). */
  findExpired(
    cutoff: string,
    limit: number,
    after?: Pick<SessionRow, 'id' | 'last_seen_at'>,
  ): Promise<Pick<SessionRow, 'id' | 'last_seen_at'>[]> {
    let query = this.db.selectFrom('sessions').select(['id', 'last_seen_at']).where('last_seen_at', '<', cutoff);
    if (after) query = query.where((eb) => eb(eb.refTuple('last_seen_at', 'id'), '>', eb.tuple(after.last_seen_at, after.id)));
    return query.orderBy('last_seen_at').orderBy('id').limit(limit).execute();
  }

  /** Deletes those of `ids` still last used before `cutoff` (one resumed meanwhile stays); how many went. */
  async deleteExpired(ids: readonly string[], cutoff: string): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.writes.statement((db) =>
      db
        .deleteFrom('sessions')
        .where('id', 'in', [...ids])
        .where('last_seen_at', '<', cutoff)
        .executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }
}
