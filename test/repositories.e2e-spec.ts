import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/app-config';
import { migrateToLatest, openDatabase, type Db } from '../src/storage/database';
import { WriteBatcher } from '../src/storage/write-batcher';
import { SessionsRepository } from '../src/sessions/sessions.repository';
import { UsersRepository, type UserRow } from '../src/users/users.repository';
import { createTestDatabase, postgresAvailable, type Engine, type TestDatabase } from './support/databases';

const engines: Engine[] = ['sqlite', 'postgres'];

describe.each(engines)('repositories on %s', (engine) => {
  let database: TestDatabase | undefined;
  let db: Db;
  let users: UsersRepository;
  let sessions: SessionsRepository;
  let skip = false;

  beforeAll(async () => {
    if (engine === 'postgres' && !(await postgresAvailable())) {
      skip = true;
      return;
    }
    database = await createTestDatabase(engine);
    db = openDatabase(loadConfig({ DATABASE_URL: database.url }).database);
    await migrateToLatest(db);
    const writes = new WriteBatcher(db, engine === 'sqlite');
    users = new UsersRepository(db, writes);
    sessions = new SessionsRepository(db, writes);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const user = (username: string): UserRow => ({
    id: randomUUID(),
    username,
    display_name: username,
    password_hash: 'scrypt$x',
    created_at: new Date().toISOString(),
    last_seen_at: null,
  });

  it('migrations are idempotent', async () => {
    if (skip) return;
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('stores and finds users; usernames are unique', async () => {
    if (skip) return;
    const row = user('alice_repo');
    await users.insert(row);
    expect(await users.findById(row.id)).toEqual(row);
    expect(await users.findByUsername('alice_repo')).toEqual(row);
    expect(await users.findByUsername('nobody')).toBeUndefined();
    // Not `toThrow()`: better-sqlite3 is a native module shared by every test file in the process,
    // so once an earlier file loaded it its SqliteError is not an `Error` of this file's realm.
    await expect(users.insert({ ...user('alice_repo') })).rejects.toHaveProperty('message', expect.stringMatching(/unique|duplicate/i));
  });

  it('searches by prefix with LIKE wildcards escaped', async () => {
    if (skip) return;
    await users.insert(user('pre_x1'));
    await users.insert(user('prex2'));
    await users.insert(user('pre%3'));
    expect((await users.search('pre_', 10)).map((u) => u.username)).toEqual(['pre_x1']);
    expect((await users.search('pre%', 10)).map((u) => u.username)).toEqual(['pre%3']);
    expect((await users.search('pre', 2)).length).toBe(2);
  });

  it('sets last seen and deletes users with their sessions', async () => {
    if (skip) return;
    const row = user('bob_repo');
    await users.insert(row);
    const now = new Date().toISOString();
    await sessions.insert({ id: 's-' + row.id, user_id: row.id, created_at: now, last_seen_at: now });
    await users.setLastSeen([row.id], now);
    expect((await users.findById(row.id))?.last_seen_at).toBe(now);
    expect(await users.delete(row.id)).toBe(true);
    expect(await sessions.findById('s-' + row.id)).toBeUndefined();
    expect(await users.delete(row.id)).toBe(false);
  });

  it('stores sessions and touches them', async () => {
    if (skip) return;
    const row = user('carol_repo');
    await users.insert(row);
    const id = randomUUID();
    await sessions.insert({ id, user_id: row.id, created_at: '2026-01-01T00:00:00.000Z', last_seen_at: '2026-01-01T00:00:00.000Z' });
    await sessions.touch(id, '2026-02-01T00:00:00.000Z');
    expect(await sessions.findById(id)).toEqual({
      id,
      user_id: row.id,
      created_at: '2026-01-01T00:00:00.000Z',
      last_seen_at: '2026-02-01T00:00:00.000Z',
    });
  });
});
