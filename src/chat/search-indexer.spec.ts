import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import type { AppConfig } from '../config/app-config';
import { closeDatabase, openDatabase, type Db } from '../storage/database';
import { migrations } from '../storage/migrations';
import { MessageSearchRepository } from './message-search.repository';
import { INDEX_BATCH, SearchIndexer } from './search-indexer';

/** SQLite's batched search index (migration 0012) on a real file: what a search finds, and an index FTS5 itself says is sound. */
describe('SearchIndexer (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'search-index-'));
  const config = { database: { kind: 'sqlite' } } as AppConfig;
  let db: Db;
  let repo: MessageSearchRepository;
  let indexer: SearchIndexer;
  let n = 0;

  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    db = openDatabase({ kind: 'sqlite', path: join(dir, `t${n++}.db`) });
    const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
    expect((await migrator.migrateTo('0011-webhook-outbox')).error).toBeUndefined();
    await db
      .insertInto('conversations')
      .values({ id: 'c1', kind: 'dm', room_id: null, user_a: 'a', user_b: 'b', last_seq: 0, created_at: 'now' })
      .execute();
  });
  afterEach(async () => {
    await indexer?.onModuleDestroy();
    await closeDatabase(db);
  });

  async function migrateToLatest(): Promise<void> {
    const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    repo = new MessageSearchRepository(db, config);
    indexer = new SearchIndexer(repo, config);
  }
  let seq = 0;
  async function insert(content: string): Promise<string> {
    const id = `m${++seq}`;
    await db
      .insertInto('messages')
      .values({ id, conversation_id: 'c1', seq, sender_id: 'a', sender_username: 'a', recipient_id: 'b', content, created_at: 'now' })
      .execute();
    return id;
  }
  const found = async (word: string) =>
    (await repo.search('a', { terms: [word], conversationId: 'c1', offset: 0, limit: 50 })).rows.map((r) => r.id).sort();
  /** FTS5's own check of an external-content index against the messages table: throws when they differ. */
  const sound = () => sql`insert into messages_fts (messages_fts, rank) values ('integrity-check', 1)`.execute(db);
  const watermark = async () => (await sql<{ w: number }>`select indexed_rowid as w from messages_fts_state`.execute(db)).rows[0].w;

  it('keeps what the per-send trigger indexed before the migration, and indexes new sends only in batches', async () => {
    const old = await insert('before migration');
    await migrateToLatest();
    expect(await found('before')).toEqual([old]);
    const fresh = await insert('after migration');
    // Not in the index until a batch runs: the send itself wrote nothing to it.
    expect(await found('after')).toEqual([]);
    await indexer.catchUp();
    expect(await found('after')).toEqual([fresh]);
    expect(await found('migration')).toEqual([old, fresh].sort());
    await expect(sound()).resolves.toBeDefined();
  });

  it('indexes in batches of INDEX_BATCH until nothing is pending', async () => {
    await migrateToLatest();
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < INDEX_BATCH * 2 + 5; i++)
        await trx
          .insertInto('messages')
          .values({
            id: `b${i}`,
            conversation_id: 'c1',
            seq: 10_000 + i,
            sender_id: 'a',
            sender_username: 'a',
            content: `bulk ${i}`,
            created_at: 'now',
          })
          .execute();
    });
    expect(await repo.indexPending(INDEX_BATCH)).toBe(INDEX_BATCH);
    await indexer.catchUp();
    expect(await repo.indexPending(INDEX_BATCH)).toBe(0);
    expect((await repo.search('a', { terms: ['bulk'], conversationId: 'c1', offset: 0, limit: 10 })).hasMore).toBe(true);
    await expect(sound()).resolves.toBeDefined();
  });

  it('an edit before indexing is indexed with its new content; an edit after it replaces the old content', async () => {
    await migrateToLatest();
    const early = await insert('early draft');
    await db.updateTable('messages').set({ content: 'early final' }).where('id', '=', early).execute();
    await indexer.catchUp();
    const late = await insert('late draft');
    await indexer.catchUp();
    await db.updateTable('messages').set({ content: 'late final' }).where('id', '=', late).execute();
    expect(await found('draft')).toEqual([]);
    expect(await found('final')).toEqual([early, late].sort());
    await expect(sound()).resolves.toBeDefined();
  });

  it('deleting the newest indexed row cannot hide the next send (SQLite reuses that rowid)', async () => {
    await migrateToLatest();
    await insert('keep one');
    const top = await insert('drop two');
    await indexer.catchUp();
    const before = await watermark();
    await db.deleteFrom('messages').where('id', '=', top).execute();
    expect(await watermark()).toBe(before - 1);
    const next = await insert('next three');
    const { rows } = await sql<{ rowid: number }>`select rowid from messages where id = ${next}`.execute(db);
    expect(rows[0].rowid).toBe(before);
    await indexer.catchUp();
    expect(await found('next')).toEqual([next]);
    expect(await found('drop')).toEqual([]);
    await expect(sound()).resolves.toBeDefined();
  });

  it('deleting a row not yet indexed leaves the index alone', async () => {
    await migrateToLatest();
    await insert('indexed word');
    await indexer.catchUp();
    const pending = await insert('pending word');
    await db.deleteFrom('messages').where('id', '=', pending).execute();
    await indexer.catchUp();
    expect(await found('word')).toHaveLength(1);
    await expect(sound()).resolves.toBeDefined();
  });

  it('migrating down indexes what is pending and restores the per-send trigger', async () => {
    await migrateToLatest();
    const pending = await insert('pending down');
    const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
    expect((await migrator.migrateTo('0011-webhook-outbox')).error).toBeUndefined();
    const after = await insert('trigger down');
    const { rows } = await sql<{
      id: string;
    }>`select m.id from messages_fts f join messages m on m.rowid = f.rowid where messages_fts match 'down'`.execute(db);
    expect(rows.map((r) => r.id).sort()).toEqual([pending, after].sort());
    await expect(sound()).resolves.toBeDefined();
  });
});
