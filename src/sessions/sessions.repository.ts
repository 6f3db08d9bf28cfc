import { Injectable } from '@nestjs/common';
import type { Selectable } from 'kysely';
import type { Db } from '../storage/database';
import type { SessionsTable } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';
import { WriteBatcher } from '../storage/write-batcher';

export type SessionRow = Selectable<SessionsTable>;

@Injectable()
export class SessionsRepository {
  constructor(
    @InjectDb() private readonly db: Db,
    private readonly writes: WriteBatcher,
  ) {}

  /** One per handshake: committed together with the other handshakes and sends of the moment. */
  async insert(row: SessionRow): Promise<void> {
    await this.writes.transaction((trx) => trx.insertInto('sessions').values(row).execute());
  }

  findById(id: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
  }
}
