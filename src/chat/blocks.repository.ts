import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';
import type { Db } from '../storage/database';
import { InjectDb } from '../storage/database.module';

/** One page of a blocker's blocked user ids, by id. */
export interface BlockedPage {
  ids: string[];
  hasMore: boolean;
}

/** Writes and pages of `user_blocks` (the access checks read it through AccessRepository). */
@Injectable()
export class BlocksRepository {
  private readonly postgres: boolean;

  constructor(
    @InjectDb() private readonly db: Db,
    @InjectConfig() config: AppConfig,
  ) {
    this.postgres = config.database.kind === 'postgres';
  }

  /**
   * Blocks (a no-op when already blocked); FORBIDDEN with `details.limit` past `limit` blocks. The
   * count and the insert are one transaction under the blocker's row lock (PostgreSQL; SQLite
   * runs one transaction at a time), so concurrent blocks never pass the cap. True when new.
   */
  add(blockerId: string, blockedId: string, at: string, limit: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      if (this.postgres) await trx.selectFrom('users').select('id').where('id', '=', blockerId).forNoKeyUpdate().execute();
      const existing = await trx
        .selectFrom('user_blocks')
        .select('blocked_id')
        .where('blocker_id', '=', blockerId)
        .where('blocked_id', '=', blockedId)
        .executeTakeFirst();
      if (existing) return false;
      const { n } = await trx
        .selectFrom('user_blocks')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('blocker_id', '=', blockerId)
        .executeTakeFirstOrThrow();
      if (Number(n) >= limit) throw AppError.limitReached('blocked users', limit);
      await trx.insertInto('user_blocks').values({ blocker_id: blockerId, blocked_id: blockedId, created_at: at }).execute();
      return true;
    });
  }

  /** True when a block was removed. */
  async remove(blockerId: string, blockedId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('user_blocks')
      .where('blocker_id', '=', blockerId)
      .where('blocked_id', '=', blockedId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** `limit` blocked ids after `after`, by id: a range of the primary key. */
  async page(blockerId: string, after: string | undefined, limit: number): Promise<BlockedPage> {
    let query = this.db.selectFrom('user_blocks').select('blocked_id').where('blocker_id', '=', blockerId);
    if (after !== undefined) query = query.where('blocked_id', '>', after);
    const rows = await query
      .orderBy('blocked_id')
      .limit(limit + 1)
      .execute();
    return { ids: rows.slice(0, limit).map((r) => r.blocked_id), hasMore: rows.length > limit };
  }
}
