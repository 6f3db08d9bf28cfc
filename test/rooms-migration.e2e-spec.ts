import { Migrator, sql } from 'kysely';
import { RoomsRepository } from '../src/chat/rooms.repository';
import { loadConfig } from '../src/config/app-config';
import { closeDatabase, openDatabase, type Db } from '../src/storage/database';
import { migrations } from '../src/storage/migrations';
import { startApp } from './support/app';
import { connect, registerUser } from './support/clients';
import { createTestDatabase, type TestDatabase } from './support/databases';

/** Migration 0003 on a database that already has rooms (on the engine the e2e suite runs on). */
describe('rooms: migration 0003 on existing data', () => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = openDatabase(loadConfig({ DATABASE_URL: database.url, JWT_SECRET: 'x'.repeat(40) }).database);
  });
  let closed = false;
  afterAll(async () => {
    if (!closed) if (db) await closeDatabase(db);
    await database?.drop();
  });

  it('counts existing members, treats them as their own rooms, and keeps the count on later changes', async () => {
    const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
    expect((await migrator.migrateTo('0002-chat')).error).toBeUndefined();
    const now = new Date().toISOString();
    const users = ['mu-owner', 'mu-a', 'mu-b'];
    await db
      .insertInto('users')
      .values(users.map((id) => ({ id, username: id, display_name: id, password_hash: 'x', created_at: now, last_seen_at: null })))
      .execute();
    // Before 0003 the tables have neither member_count nor added_by: plain SQL of that schema.
    await sql`insert into rooms (id, name, visibility, owner_id, created_at) values ('mr-1', 'one', 'public', 'mu-owner', ${now}), ('mr-2', 'two', 'private', 'mu-owner', ${now})`.execute(
      db,
    );
    await sql`insert into room_members (room_id, user_id, role, joined_at) values
      ('mr-1', 'mu-owner', 'owner', ${now}), ('mr-1', 'mu-a', 'member', ${now}), ('mr-1', 'mu-b', 'member', ${now}),
      ('mr-2', 'mu-owner', 'owner', ${now})`.execute(db);

    const { error, results } = await migrator.migrateToLatest();
    expect(error).toBeUndefined();
    expect(results?.map((r) => [r.migrationName, r.status])).toContainEqual(['0003-room-membership', 'Success']);

    const counts = async () =>
      Object.fromEntries(
        (await db.selectFrom('rooms').select(['id', 'member_count']).orderBy('id').execute()).map((r) => [r.id, Number(r.member_count)]),
      );
    expect(await counts()).toEqual({ 'mr-1': 3, 'mr-2': 1 });
    expect((await db.selectFrom('room_members').select('added_by').execute()).every((r) => r.added_by === null)).toBe(true);

    // Triggers keep the count from now on, whoever writes the rows.
    await db
      .insertInto('room_members')
      .values({ room_id: 'mr-2', user_id: 'mu-a', role: 'member', joined_at: now, added_by: 'mu-owner' })
      .execute();
    await db.deleteFrom('room_members').where('room_id', '=', 'mr-1').where('user_id', 'in', ['mu-a', 'mu-b']).execute();
    expect(await counts()).toEqual({ 'mr-1': 1, 'mr-2': 2 });
    // Deleting a user (cascade) counts too.
    await db.deleteFrom('users').where('id', '=', 'mu-a').execute();
    expect(await counts()).toEqual({ 'mr-1': 1, 'mr-2': 1 });
  });

  it('the service starts on the migrated database and counts old memberships as the users’ own', async () => {
    await closeDatabase(db);
    closed = true;
    const t = await startApp({ database: { url: database.url, drop: async () => undefined }, env: { MAX_ROOMS_PER_USER: '1' } });
    try {
      const fresh = await registerUser(t.url);
      const c = await connect(t.url, fresh.token);
      expect((await c.ok('room:create', { name: 'new' })).memberCount).toBe(1);
      c.close();
      // mu-owner's pre-migration room is one of their own: at a cap of 1 they may join nothing more.
      const rooms = t.app.get(RoomsRepository);
      await expect(rooms.addMember('mr-1', 'mu-owner', new Date().toISOString(), 1, () => undefined)).resolves.toBe(false);
      await expect(rooms.addMember('mr-2', 'mu-b', new Date().toISOString(), 1, () => undefined)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      const extra = (await rooms.findById('mr-1'))!;
      expect(extra.member_count).toBe(1);
      await expect(
        rooms.create(
          { id: 'mr-3', name: 'three', visibility: 'public', owner_id: 'mu-owner', created_at: new Date().toISOString() },
          [],
          1,
          () => undefined,
        ),
      ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { limit: 1 } });
    } finally {
      await t.stop();
    }
  });
});
