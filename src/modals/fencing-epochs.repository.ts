import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Db } from '../storage/database';
import { InjectDb } from '../storage/database.module';

/** The start counter behind in-process fencing tokens (see migration 0010). */
@Injectable()
export class FencingEpochsRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  /** Takes the next epoch: one statement, so two starts never get the same one. */
  async next(): Promise<number> {
    const row = await this.db
      .insertInto('modal_fencing_epochs')
      .values({ id: 1, epoch: 1 })
      .onConflict((oc) => oc.column('id').doUpdateSet({ epoch: sql`modal_fencing_epochs.epoch + 1` }))
      .returning('epoch')
      .executeTakeFirstOrThrow();
    return Number(row.epoch);
  }
}
