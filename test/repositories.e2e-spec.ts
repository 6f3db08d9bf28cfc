import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/app-config';
import { closeDatabase, migrateToLatest, openDatabase, type Db } from '../src/storage/database';
import { WriteBatcher } from '../src/storage/write-batcher';
import { AuthSessionsRepository } from '../src/auth/auth-sessions.repository';
import { RoomsRepository } from '../src/chat/rooms.repository';
import { WebhookOutbox } from '../src/webhooks/webhook-outbox';
import { SessionsRepository } from '../src/sessions/sessions.repository';
import { UsersRepository, type UserRow } from '../src/users/users.repository';
import { createTestDatabase, postgresAvailable, type Engine, type TestDatabase } from './support/databases';

const engines: Engine[] = ['sqlite', 'postgres'];

describe.each(engines)('repositories on %s', (engine) => {
  let database: TestDatabase | undefined;
  let db: Db;
  let users: UsersRepository;
  let sessions: SessionsRepository;
  let writes: WriteBatcher;
  let skip = false;

  beforeAll(async () => {
    if (engine === 'postgres' && !(await postgresAvailable())) {
      skip = true;
      return;
    }
    database = await createTestDatabase(engine);
    db = openDatabase(loadConfig({ DATABASE_URL: database.url }).database);
    await migrateToLatest(db);
    writes = new WriteBatcher(db, engine === 'sqlite');
    users = new UsersRepository(db, writes);
    sessions = new SessionsRepository(db, writes, {
      sessions: { ttlDays: 30, maxPerUser: 3 },
      database: loadConfig({ DATABASE_URL: database.url }).database,
    });
  });
  afterAll(async () => {
    if (db) await closeDatabase(db);
    await database?.drop();
  });

  const user = (username: string): UserRow => ({
    id: randomUUID(),
    username,
    display_name: username,
    password_hash: 'scrypt$x',
    created_at: new Date().toISOString(),
    last_seen_at: null,
    external_id: null,
    deleted_at: null,
    tokens_valid_after: null,
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
    // It answers the users it wrote: a deleted one is left alone (going offline tells no one about them).
    const gone = user('bob_gone');
    await users.insert(gone);
    expect(await users.markDeleted(gone.id, now)).toBe(true);
    const later = new Date(Date.parse(now) + 1000).toISOString();
    const written = await users.setLastSeen([row.id, gone.id], later);
    expect(written.map((u) => [u.id, u.username, u.last_seen_at])).toEqual([[row.id, 'bob_repo', later]]);
    expect(await users.delete(row.id)).toBe(true);
    expect(await sessions.findById('s-' + row.id)).toBeUndefined();
    expect(await users.delete(row.id)).toBe(false);
  });

  /** A session's last use set to `at`, its sockets gone (what `left` records, at a chosen time). */
  const leftAt = (id: string, at: string) =>
    db.updateTable('sessions').set({ last_seen_at: at, connected: 0 }).where('id', '=', id).execute();

  it('stores sessions and records when they were left, many at once in few statements', async () => {
    if (skip) return;
    const row = user('carol_repo');
    await users.insert(row);
    const ids = Array.from({ length: 3 }, () => randomUUID());
    for (const id of ids) {
      await sessions.insert({ id, user_id: row.id, created_at: '2026-01-01T00:00:00.000Z', last_seen_at: '2026-01-01T00:00:00.000Z' });
    }
    const before = new Date().toISOString();
    const statements = jest.spyOn(writes, 'statement');
    await Promise.all(ids.map((id) => sessions.left(id)));
    // The first at once, the two that came while it ran in one statement.
    expect(statements).toHaveBeenCalledTimes(2);
    statements.mockRestore();
    for (const id of ids) {
      const stored = await sessions.findById(id);
      expect(stored).toMatchObject({ id, user_id: row.id, created_at: '2026-01-01T00:00:00.000Z', connected: 0, auth_session_id: null });
      expect(stored!.last_seen_at >= before).toBe(true);
    }
  });
  it('keeps at most MAX_SESSIONS_PER_USER sessions per user, dropping the least recently used idle ones first', async () => {
    if (skip) return;
    const row = user('dave_repo');
    const other = user('erin_repo');
    await users.insert(row);
    await users.insert(other);
    await sessions.insert({ id: `o-${other.id}`, user_id: other.id, created_at: 't', last_seen_at: '2026-01-01T00:00:00.000Z' });
    const at = (day: number) => `2026-01-0${day}T00:00:00.000Z`;
    // s1 and s3 stay connected; s2 and s4 were left (touched with connected = false).
    for (const day of [1, 2, 3, 4]) {
      await sessions.insert({ id: `s${day}-${row.id}`, user_id: row.id, created_at: at(day), last_seen_at: at(day) });
      if (day % 2 === 0) await leftAt(`s${day}-${row.id}`, at(day));
    }
    // Limit 3: s2 (the older idle one) went when s4 came.
    expect(await sessions.findById(`s2-${row.id}`)).toBeUndefined();
    await sessions.insert({ id: `s5-${row.id}`, user_id: row.id, created_at: at(5), last_seen_at: at(5) });
    const left = await db.selectFrom('sessions').select(['id', 'connected']).where('user_id', '=', row.id).orderBy('id').execute();
    expect(left).toEqual([
      { id: `s1-${row.id}`, connected: 1 },
      { id: `s3-${row.id}`, connected: 1 },
      { id: `s5-${row.id}`, connected: 1 },
    ]);
    // Another user's sessions are not touched.
    expect(await sessions.findById(`o-${other.id}`)).toBeDefined();
  });

  it('finds sessions past the TTL page by page and deletes only those still unused', async () => {
    if (skip) return;
    const row = user('fay_repo');
    await users.insert(row);
    const now = new Date('2026-03-01T00:00:00.000Z');
    const cutoff = sessions.expiryCutoff(now);
    expect(cutoff).toBe('2026-01-30T00:00:00.000Z');
    const old = ['2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', '2025-06-01T00:00:00.000Z'];
    // Insert the old ones while they are the newest of the user (the per-user bound is 3).
    const ids = old.map((_, i) => `x${i}-${row.id}`);
    for (const [i, id] of ids.entries()) {
      await sessions.insert({ id, user_id: row.id, created_at: old[i], last_seen_at: old[i] });
      await leftAt(id, old[i]);
    }
    // Past the TTL, or another user's: not resumed, and untouched; the user's own within the TTL is.
    expect(await sessions.resume(ids[0], row.id, now, null)).toBe(false);
    const june = new Date('2025-06-02T00:00:00.000Z');
    expect(await sessions.resume(ids[2], randomUUID(), june, null)).toBe(false);
    expect(await sessions.findById(ids[2])).toMatchObject({ last_seen_at: old[2], connected: 0, auth_session_id: null });
    expect(await sessions.resume(ids[2], row.id, june, null)).toBe(true);
    expect(await sessions.findById(ids[2])).toMatchObject({ last_seen_at: june.toISOString(), connected: 1 });

    const first = await sessions.findExpired(cutoff, 2);
    const mine = (rows: { id: string }[]) => rows.map((r) => r.id).filter((id) => id.endsWith(row.id));
    expect(mine(first)).toEqual([ids[0], ids[1]].sort());
    const second = await sessions.findExpired(cutoff, 2, first[first.length - 1]);
    expect(mine(second)).toEqual([ids[2]]);

    // ids[1] is used between the read and the delete (its last socket went just now): it stays.
    await sessions.left(ids[1]);
    expect(await sessions.deleteExpired(ids, cutoff)).toBe(2);
    expect(await sessions.findById(ids[0])).toBeUndefined();
    expect(await sessions.findById(ids[1])).toMatchObject({ connected: 0 });
    expect(await sessions.deleteExpired([], cutoff)).toBe(0);
  });

  it('rotates a refresh token once even when two uses race; the prune keeps the newest logins', async () => {
    if (skip) return;
    const row = user('gus_repo');
    await users.insert(row);
    const logins = new AuthSessionsRepository(db);
    const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
    const start = (id: string, minute: number) =>
      logins.start(
        { id, user_id: row.id, created_at: at(minute), last_seen_at: at(minute), expires_at: '2999-01-01T00:00:00.000Z', user_agent: null },
        `hash-${id}`,
        2,
      );
    await start(`a-${row.id}`, 1);
    const next = (n: number) => ({ hash: `next-${n}-${row.id}`, authSessionId: `a-${row.id}`, expiresAt: '2999-01-01T00:00:00.000Z' });
    const results = await Promise.all([1, 2, 3].map((n) => logins.rotate(`hash-a-${row.id}`, next(n), at(2))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await logins.findToken(`hash-a-${row.id}`)).toMatchObject({ used_at: at(2), user_id: row.id });

    await start(`b-${row.id}`, 3);
    await start(`c-${row.id}`, 4);
    expect((await logins.list(row.id, 10)).map((l) => l.id)).toEqual([`c-${row.id}`, `b-${row.id}`]);
    expect(await logins.findToken(`hash-a-${row.id}`)).toBeUndefined(); // its tokens went with it
    expect((await logins.principal(row.id, `b-${row.id}`))?.auth_session_user_id).toBe(row.id);
    expect((await logins.principal(row.id, `a-${row.id}`))?.auth_session_user_id).toBeNull();
    expect(await logins.end(row.id, [`b-${row.id}`, 'not-a-login'])).toEqual([`b-${row.id}`]);
  });
  it("hands a connecting socket its user's rooms and block list; on PostgreSQL a read that waited for a membership change sees it", async () => {
    if (skip) return;
    const config = loadConfig({ DATABASE_URL: database!.url });
    const rooms = new RoomsRepository(db, config, new WebhookOutbox(config, db));
    const row = user('hal_repo');
    await users.insert(row);
    const now = new Date().toISOString();
    const roomIds = [`r1-${row.id}`, `r2-${row.id}`];
    for (const id of roomIds) {
      await db.insertInto('rooms').values({ id, name: id, visibility: 'private', owner_id: row.id, created_at: now }).execute();
      await db.insertInto('room_members').values({ room_id: id, user_id: row.id, role: 'owner', joined_at: now, added_by: null }).execute();
    }
    const blocked = user('hal_blocked');
    const stranger = user('hal_stranger');
    await users.insert(blocked);
    await users.insert(stranger);
    await db.insertInto('user_blocks').values({ blocker_id: row.id, blocked_id: blocked.id, created_at: now }).execute();
    // A block of the user by someone else is not the user's own block list.
    await db.insertInto('user_blocks').values({ blocker_id: stranger.id, blocked_id: row.id, created_at: now }).execute();
    let blockedIds: string[] = [];
    const read = () => {
      let seen: string[] = [];
      return rooms
        .joinOwnRooms(row.id, (own) => {
          seen = own.roomIds;
          blockedIds = own.blockedIds;
        })
        .then(() => seen.sort());
    };
    expect(await read()).toEqual(roomIds);
    expect(blockedIds).toEqual([blocked.id]);
    if (engine !== 'postgres') return;

    // A membership change holds the user's row lock while it writes (RoomsRepository.MembershipChange).
    let commit!: () => void;
    const change = db.transaction().execute(async (trx) => {
      await trx.selectFrom('users').select('id').where('id', '=', row.id).forUpdate().execute();
      await trx.deleteFrom('room_members').where('room_id', '=', roomIds[0]).execute();
      await new Promise<void>((resolve) => (commit = resolve));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    let settled = false;
    const waiting = read().finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const waitedForTheLock = !settled;
    commit();
    await change;
    expect(waitedForTheLock).toBe(true);
    // ...and then reads what the change committed, not the rooms of the moment it started.
    expect(await waiting).toEqual([roomIds[1]]);
  });
});
