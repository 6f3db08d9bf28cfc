import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { closeDatabase, migrateToLatest, openDatabase } from './database';

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
      await closeDatabase(db);
    }
  });

  it('moves the WAL into the database file from a worker thread, and lets go of the file on close', async () => {
    const file = join(dir, 'checkpoint.db');
    const db = openDatabase({ kind: 'sqlite', path: file });
    await migrateToLatest(db);
    const before = statSync(file).size;
    // ~2 MB of rows: far below the writer's own autocheckpoint (WRITER_AUTOCHECKPOINT_PAGES).
    const content = 'x'.repeat(2000);
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < 1000; i++) {
        await trx
          .insertInto('users')
          .values({ id: `c${i}`, username: `c${i}`, display_name: content, password_hash: 'x', created_at: 'now', last_seen_at: null })
          .execute();
      }
    });
    const deadline = Date.now() + 5000;
    while (statSync(file).size < before + 2_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(file).size).toBeGreaterThanOrEqual(before + 2_000_000);

    await closeDatabase(db);
    // The last connection to close removes the WAL: so the worker closed its connection too.
    while (existsSync(`${file}-wal`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = new BetterSqlite3(file, { readonly: true });
    expect(reopened.prepare('select count(*) as n from users').get()).toEqual({ n: 1000 });
    reopened.close();
  });
});
