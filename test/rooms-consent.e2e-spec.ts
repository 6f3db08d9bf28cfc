import { sql, type Kysely } from 'kysely';
import type { Room } from '../src/contracts';
import type { Database } from '../src/storage/database.types';
import { DATABASE } from '../src/storage/database.module';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, settle, type TestClient, type UserWithTabs } from './support/clients';
import { createRoom, send } from './support/chat';
import { createTestDatabase, E2E_ENGINE, type TestDatabase } from './support/databases';
import { E2E_WITH_REDIS, testRedisPrefix } from './support/redis';

const LIMIT = 3;
/** Nothing here is about the event rate limiter. */
const UNLIMITED_RATE = { RATE_LIMIT_BURST: '100000', RATE_LIMIT_EVENTS_PER_SEC: '100000', RATE_LIMIT_DISCONNECT_AFTER: '100000' };

/** Memberships of a user as stored: own (created / joined) and added by others. */
async function membershipCounts(db: Kysely<Database>, userId: string): Promise<{ own: number; added: number; invites: number }> {
  const rows = await db.selectFrom('room_members').select('added_by').where('user_id', '=', userId).execute();
  const invites = await db.selectFrom('room_invites').select('room_id').where('user_id', '=', userId).execute();
  return {
    own: rows.filter((r) => r.added_by === null).length,
    added: rows.filter((r) => r.added_by !== null).length,
    invites: invites.length,
  };
}

/**
 * "No user's action can push another user over a cap": rooms others add you to have their own
 * allowance, beyond it you are invited instead, pending invites are bounded.
 */
describe('rooms: consent and caps', () => {
  let t: TestApp;
  let db: Kysely<Database>;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({ env: { MAX_ROOMS_PER_USER: String(LIMIT), ...UNLIMITED_RATE } });
    db = t.app.get<Kysely<Database>>(DATABASE);
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  it('a victim added to MAX_ROOMS_PER_USER rooms by others can still create and join rooms of their own', async () => {
    const attacker = await pool.user();
    const victim = await pool.user();
    const host = await pool.user();
    for (const name of ['spam 1', 'spam 2', 'spam 3']) await createRoom(attacker.tabs[0], name, { members: [victim.user.id] });
    expect(await membershipCounts(db, victim.user.id)).toEqual({ own: 0, added: LIMIT, invites: 0 });

    // The victim's own allowance is untouched: two rooms created and one joined.
    await createRoom(victim.tabs[0], 'mine 1');
    await createRoom(victim.tabs[0], 'mine 2');
    const hosted = await createRoom(host.tabs[0], 'hosted');
    expect((await victim.tabs[0].ok('room:join', { roomId: hosted.id })).room.memberCount).toBe(2);
    // ...and it is still a limit: the fourth of their own is refused, nothing of it applied.
    const extra = await createRoom(host.tabs[0], 'one too many');
    expect(await victim.tabs[0].request('room:create', { name: 'mine 3' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', details: { limit: LIMIT } },
    });
    expect(await victim.tabs[0].request('room:join', { roomId: extra.id })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', details: { limit: LIMIT } },
    });
    expect((await victim.tabs[0].ok('room:list', {})).rooms).toHaveLength(2 * LIMIT);
    expect(await membershipCounts(db, victim.user.id)).toEqual({ own: LIMIT, added: LIMIT, invites: 0 });
  });

  it("beyond the added-allowance the creator's members are invited instead: room:invited, no membership, real memberCount", async () => {
    const victim = await pool.user(2);
    const friend = await pool.user();
    const creators = await Promise.all([pool.user(), pool.user(), pool.user(), pool.user()]);
    for (const creator of creators.slice(0, LIMIT)) await createRoom(creator.tabs[0], 'fills it', { members: [victim.user.id] });

    const last = creators[LIMIT];
    const room = await createRoom(last.tabs[0], 'one more', { visibility: 'private', members: [victim.user.id, friend.user.id] });
    // Owner and friend are members; the victim is only invited.
    expect(room.memberCount).toBe(2);
    for (const tab of victim.tabs) expect(await tab.waitFor('room:invited', (e) => e.room.id === room.id)).toEqual({ room, by: last.user });
    expect(await friend.tabs[0].waitFor('room:invited', (e) => e.room.id === room.id)).toEqual({ room, by: last.user });
    expect(await membershipCounts(db, victim.user.id)).toEqual({ own: 0, added: LIMIT, invites: 1 });

    // Not a member: the room's messages do not reach any tab of the victim, not even a new one.
    const lateTab = await pool.connect(victim.token);
    const m = await send(last.tabs[0], { roomId: room.id, content: 'members only' });
    await friend.tabs[0].waitFor('message:new', (x) => x.id === m.id);
    await settle();
    for (const tab of [...victim.tabs, lateTab]) expect(tab.all('message:new').filter((x) => x.roomId === room.id)).toEqual([]);
    expect((await victim.tabs[0].ok('room:list', {})).rooms.map((r) => r.id)).not.toContain(room.id);

    // The invite is a real one: joining it is the victim's own choice, from their own allowance.
    const joined = await victim.tabs[0].ok('room:join', { roomId: room.id });
    expect(joined.room.memberCount).toBe(3);
    expect(await membershipCounts(db, victim.user.id)).toEqual({ own: 1, added: LIMIT, invites: 0 });
    const after = await send(last.tabs[0], { roomId: room.id, content: 'welcome' });
    await Promise.all([...victim.tabs, lateTab].map((tab) => tab.waitFor('message:new', (x) => x.id === after.id)));
  });

  it('bounds pending invites per user: past MAX_ROOMS_PER_USER the oldest is dropped', async () => {
    const victim = await pool.user();
    const inviter = await pool.user();
    const helper = await pool.user();
    // LIMIT + 1 private rooms by two owners (each owner's own cap is LIMIT).
    const rooms: Room[] = [];
    for (let i = 0; i <= LIMIT; i++)
      rooms.push(await createRoom((i < LIMIT ? inviter : helper).tabs[0], `private ${i}`, { visibility: 'private' }));
    for (const [i, room] of rooms.entries()) {
      await (i < LIMIT ? inviter : helper).tabs[0].ok('room:invite', { roomId: room.id, userId: victim.user.id });
      // Invites are ordered by their time: keep them in distinct milliseconds.
      await settle(5);
    }
    expect(victim.tabs[0].all('room:invited')).toHaveLength(LIMIT + 1);
    expect(await membershipCounts(db, victim.user.id)).toEqual({ own: 0, added: 0, invites: LIMIT });

    // The oldest invite is gone: that private room is hidden again; the newer ones can be joined.
    expect(await victim.tabs[0].request('room:join', { roomId: rooms[0].id })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', reason: 'ROOM_NOT_FOUND', message: 'Room not found' },
    });
    for (const room of rooms.slice(1)) expect((await victim.tabs[0].ok('room:join', { roomId: room.id })).room.memberCount).toBe(2);
    // Inviting again works as before (a fresh invite).
    await inviter.tabs[0].ok('room:leave', { roomId: rooms[1].id });
    await inviter.tabs[0].ok('room:invite', { roomId: rooms[0].id, userId: victim.user.id });
    expect(await membershipCounts(db, victim.user.id)).toEqual({ own: LIMIT, added: 0, invites: 1 });
  });
});

/**
 * Check-then-act under concurrency: the count and the insert share one transaction, so 20+
 * simultaneous requests near the cap never pass it (SQLite: one transaction at a time on Kysely's
 * single connection; PostgreSQL: the users' rows locked; there from two instances at once).
 */
describe('rooms: caps under concurrent requests', () => {
  const CAP = 10;
  const CONCURRENT = 24;
  let a: TestApp;
  let b: TestApp;
  let database: TestDatabase;
  let redis: ReturnType<typeof testRedisPrefix> | undefined;
  let db: Kysely<Database>;
  const poolA = new ClientTracker(() => a.url);
  const poolB = new ClientTracker(() => b.url);

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = E2E_WITH_REDIS ? testRedisPrefix() : undefined;
    const shared = { database: { url: database.url, drop: async () => undefined }, redisPrefix: redis?.prefix };
    const env = { MAX_ROOMS_PER_USER: String(CAP), ...UNLIMITED_RATE };
    a = await startApp({ ...shared, env });
    // Several instances of one deployment need PostgreSQL; on SQLite both halves use one instance.
    b = E2E_ENGINE === 'postgres' ? await startApp({ ...shared, env }) : a;
    db = a.app.get<Kysely<Database>>(DATABASE);
  });
  afterEach(() => {
    poolA.closeAll();
    poolB.closeAll();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
    await redis?.cleanup();
  });

  /** Two tabs of the same user, on both instances when there are two. */
  async function twoTabs(): Promise<UserWithTabs & { both: TestClient[] }> {
    const user = await poolA.user();
    return { ...user, both: [user.tabs[0], await poolB.connect(user.token)] };
  }

  const outcome = (ack: { ok: boolean; error?: { code: string; details?: unknown } }) =>
    ack.ok ? 'ok' : `${ack.error!.code}:${JSON.stringify(ack.error!.details)}`;

  it(`${CONCURRENT} concurrent room:create of one user pass exactly MAX_ROOMS_PER_USER`, async () => {
    const user = await twoTabs();
    const acks = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) => user.both[i % 2].request('room:create', { name: `race ${i}` })),
    );
    const outcomes = acks.map(outcome);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(CAP);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual(Array(CONCURRENT - CAP).fill(`FORBIDDEN:${JSON.stringify({ limit: CAP })}`));
    expect(await membershipCounts(db, user.user.id)).toMatchObject({ own: CAP });
    // Refused creates left nothing behind.
    const owned = await db.selectFrom('rooms').select('id').where('owner_id', '=', user.user.id).execute();
    expect(owned).toHaveLength(CAP);
  });

  it(`${CONCURRENT} concurrent room:join (and creates) of one user near the cap pass exactly up to it`, async () => {
    const hosts = await Promise.all([poolA.user(), poolA.user(), poolA.user()]);
    const targets: Room[] = [];
    for (const host of hosts) {
      for (let i = 0; i < 8; i++) targets.push(await createRoom(host.tabs[0], `target ${i}`));
    }
    const user = await twoTabs();
    for (let i = 0; i < CAP - 4; i++) await createRoom(user.tabs[0], `own ${i}`);
    // 4 places left; 24 joins and 4 creates race for them.
    const requests = [
      ...targets.map((room, i) => user.both[i % 2].request('room:join', { roomId: room.id })),
      ...[0, 1, 2, 3].map((i) => user.both[i % 2].request('room:create', { name: `late ${i}` })),
    ];
    const outcomes = (await Promise.all(requests)).map(outcome);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(4);
    expect(new Set(outcomes.filter((o) => o !== 'ok'))).toEqual(new Set([`FORBIDDEN:${JSON.stringify({ limit: CAP })}`]));
    expect(await membershipCounts(db, user.user.id)).toMatchObject({ own: CAP });
    // memberCount (kept by the database) agrees with the rows.
    const counted = await db
      .selectFrom('rooms')
      .select([
        'rooms.id',
        'rooms.member_count',
        sql<number>`(select count(*) from room_members m where m.room_id = rooms.id)`.as('actual'),
      ])
      .where(
        'rooms.id',
        'in',
        targets.map((r) => r.id),
      )
      .execute();
    for (const row of counted) expect(Number(row.member_count)).toBe(Number(row.actual));
  });

  it(`${CONCURRENT} creators adding the same user at once never pass the added-allowance; the rest are invited, invites bounded`, async () => {
    const victim = await poolA.user();
    const creators = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => (i % 2 ? poolB : poolA).user()));
    const acks = await Promise.all(
      creators.map((c, i) => c.tabs[0].request('room:create', { name: `adds ${i}`, members: [victim.user.id] })),
    );
    expect(acks.map(outcome)).toEqual(Array(CONCURRENT).fill('ok'));
    const rooms = acks.map((ack) => (ack.ok ? ack.data : undefined)!);
    expect(rooms.filter((r) => r.memberCount === 2)).toHaveLength(CAP);
    expect(rooms.filter((r) => r.memberCount === 1)).toHaveLength(CONCURRENT - CAP);
    expect(await membershipCounts(db, victim.user.id)).toEqual({ own: 0, added: CAP, invites: CAP });
    // The victim's own room:create is unaffected.
    expect((await createRoom(victim.tabs[0], 'still mine')).memberCount).toBe(1);
  });
});
