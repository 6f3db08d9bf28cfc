import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase } from './database';

describe('openDatabase (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file in WAL mode and prepares each distinct statement once', async () => {
    const prepare = jest.spyOn(BetterSqlite3.prototype, 'prepare');
    const db = openDatabase({ kind: 'sqlite', path: join(dir, 'nested', 'test.db') });
    try {
      await migrateToLatest(db);
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
      expect(mode.rows[0].journal_mode).toBe('wal');

      prepare.mockClear();
      for (let i = 0; i < 5; i++) {
        expect(await db.selectFrom('users').select('id').where('id', '=', `u${i}`).executeTakeFirst()).toBeUndefined();
      }
      expect(prepare).toHaveBeenCalledTimes(1);
    } finally {
      prepare.mockRestore();
      await db.destroy();
    }
  });
});
