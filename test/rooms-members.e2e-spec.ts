import type { Kysely } from 'kysely';
import type { ClientEventName, Room, RoomMember } from '../src/contracts';
import type { Database } from '../src/storage/database.types';
import { DATABASE } from '../src/storage/database.module';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, settle, type TestClient, type UserWithTabs } from './support/clients';
import { createRoom, seedMembers } from './support/chat';

const UNLIMITED_RATE = { RATE_LIMIT_BURST: '100000', RATE_LIMIT_EVENTS_PER_SEC: '100000', RATE_LIMIT_DISCONNECT_AFTER: '100000' };
const ROOM_EVENTS = ['room:member-joined', 'room:member-left', 'room:invited', 'message:new', 'typing', 'presence:update'];

/** Every member id of a room by walking `room:members` from `after` on, and how many pages it took. */
async function walkMembers(client: TestClient, roomId: string, after: string | undefined, limit: number) {
  const ids: string[] = [];
  let pages = 0;
  let cursor = after;
  for (;;) {
    const page = await client.ok('room:members', cursor === undefined ? { roomId, limit } : { roomId, after: cursor, limit });
    pages += 1;
    expect(page.members.length).toBeLessThanOrEqual(limit);
    ids.push(...page.members.map((m) => m.userId));
    if (!page.hasMore) {
      expect(page.next).toBeUndefined();
      return { ids, pages };
    }
    expect(page.members).toHaveLength(limit);
    cursor = page.next;
  }
}

/** Room-related events a client received (none of these may come from reading a member list). */
const roomTraffic = (client: TestClient) => client.received.filter((r) => ROOM_EVENTS.includes(r.event));

describe('rooms: member pages', () => {
  let t: TestApp;
  let db: Kysely<Database>;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({ env: UNLIMITED_RATE });
    db = t.app.get<Kysely<Database>>(DATABASE);
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  /** A public room of `owner` with `member` joined and `seeded` members added straight to the database. */
  async function roomWith(
    seeded: number,
    sameTime = 7,
  ): Promise<{ room: Room; owner: UserWithTabs; member: UserWithTabs; order: string[] }> {
    const owner = await pool.user();
    const member = await pool.user(2);
    const room = await createRoom(owner.tabs[0], 'big');
    await member.tabs[0].ok('room:join', { roomId: room.id });
    const seededIds = await seedMembers(db, room.id, seeded, { sameTime });
    // The two real members joined before the seeded ones (seedMembers starts after now).
    return { room, owner, member, order: [owner.user.id, member.user.id, ...seededIds] };
  }

  it('room:join of an existing member answers at once: no room:member-joined, the first page with hasMore/next', async () => {
    const { room, owner, member, order } = await roomWith(120);
    await owner.tabs[0].waitFor('room:member-joined', (e) => e.user.id === member.user.id);
    for (const c of [owner.tabs[0], ...member.tabs]) c.clear();

    const again = await member.tabs[1].ok('room:join', { roomId: room.id });
    expect(again.room).toMatchObject({ id: room.id, memberCount: 122 });
    expect(again.members).toHaveLength(50);
    expect(again.members.map((m) => m.userId)).toEqual(order.slice(0, 50));
    expect(again.members[0]).toEqual<RoomMember>({
      userId: owner.user.id,
      username: owner.user.username,
      role: 'owner',
      online: true,
      status: 'online',
    });
    expect(again.members[2]).toMatchObject({ role: 'member', online: false, status: 'offline' });
    expect(again.hasMore).toBe(true);
    expect(typeof again.next).toBe('string');
    await settle();
    for (const c of [owner.tabs[0], ...member.tabs]) expect(roomTraffic(c)).toEqual([]);
  });

  it('room:members walks every member exactly once, in join order, from the join page on', async () => {
    const { room, owner, member, order } = await roomWith(230);
    const first = await member.tabs[0].ok('room:join', { roomId: room.id });
    const rest = await walkMembers(member.tabs[0], room.id, first.next, 37);
    const all = [...first.members.map((m) => m.userId), ...rest.ids];
    expect(all).toEqual(order);
    expect(new Set(all).size).toBe(232);
    expect(rest.pages).toBe(Math.ceil((232 - 50) / 37));

    // From the start, with the default and the largest page.
    expect((await walkMembers(owner.tabs[0], room.id, undefined, 100)).ids).toEqual(order);
    const defaultPage = await owner.tabs[0].ok('room:members', { roomId: room.id });
    expect(defaultPage.members.map((m) => m.userId)).toEqual(order.slice(0, 50));
    // A cursor stays valid when members join meanwhile: they come at the end.
    const late = await pool.user();
    await late.tabs[0].ok('room:join', { roomId: room.id });
    const tail = await walkMembers(member.tabs[0], room.id, first.next, 100);
    expect(tail.ids).toEqual([...order.slice(50), late.user.id]);
  });

  it('refuses a bad cursor and bad bounds with BAD_REQUEST, and non-members; a member list is sent to nobody else', async () => {
    const { room, owner, member } = await roomWith(10);
    const outsider = await pool.user();
    const privateRoom = await createRoom(owner.tabs[0], 'hidden', { visibility: 'private' });
    for (const c of [owner.tabs[0], ...member.tabs, outsider.tabs[0]]) c.clear();

    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const after of [
      'not-a-cursor!',
      'e30',
      cursor(['2026-01-01T00:00:00.000Z']),
      cursor([1, 'x']),
      cursor(['', 'x']),
      cursor({ joinedAt: 'x', userId: 'y' }),
      cursor(['2026-01-01T00:00:00.000Z', 'x'.repeat(65)]),
      'x'.repeat(257),
    ]) {
      const ack = await member.tabs[0].request('room:members', { roomId: room.id, after });
      expect({ after, ack }).toMatchObject({ after, ack: { ok: false, error: { code: 'BAD_REQUEST' } } });
    }
    for (const bad of [
      {},
      { roomId: '' },
      { roomId: room.id, limit: 0 },
      { roomId: room.id, limit: 101 },
      { roomId: room.id, limit: 2.5 },
      { roomId: room.id, limit: '10' },
      { roomId: room.id, after: 5 },
      { roomId: room.id, after: '' },
      { roomId: room.id, userId: owner.user.id },
    ]) {
      expect(await member.tabs[0].request('room:members', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    // A well-formed cursor from anywhere only positions the page.
    const anywhere = await member.tabs[0].ok('room:members', { roomId: room.id, after: cursor(['9999-01-01T00:00:00.000Z', 'z']) });
    expect(anywhere).toEqual({ members: [], hasMore: false });

    expect(await outsider.tabs[0].request('room:members', { roomId: room.id })).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', reason: 'NOT_A_MEMBER', message: 'Only members see who is in this room' },
    });
    const hidden = await outsider.tabs[0].request('room:members', { roomId: privateRoom.id });
    expect(hidden).toEqual({ ok: false, error: { code: 'NOT_FOUND', reason: 'ROOM_NOT_FOUND', message: 'Room not found' } });
    expect(await outsider.tabs[0].request('room:members', { roomId: 'no-such-room' })).toEqual(hidden);

    await settle();
    for (const c of [owner.tabs[0], ...member.tabs, outsider.tabs[0]]) expect(roomTraffic(c)).toEqual([]);
  });

  it('presence:list { roomId } pages the members the same way (limit 1–500, default 100)', async () => {
    const { room, member, order } = await roomWith(260);
    const outsider = await pool.user();
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await member.tabs[0].ok(
        'presence:list',
        after === undefined ? { roomId: room.id, limit: 97 } : { roomId: room.id, after, limit: 97 },
      );
      pages += 1;
      seen.push(...page.users.map((p) => p.userId));
      expect(typeof page.hasMore).toBe('boolean');
      after = page.hasMore ? page.next : undefined;
      if (page.hasMore) expect(page.next).toEqual(expect.any(String));
    } while (after !== undefined);
    expect(seen).toEqual(order);
    expect(pages).toBe(Math.ceil(262 / 97));

    const first = await member.tabs[0].ok('presence:list', { roomId: room.id });
    expect(first.users).toHaveLength(100);
    expect(first.users[1]).toMatchObject({ userId: member.user.id, status: 'online' });
    expect(first.users[2]).toMatchObject({ status: 'offline', connections: 0 });
    for (const bad of [
      { roomId: room.id, limit: 0 },
      { roomId: room.id, limit: 501 },
      { roomId: room.id, after: 'nope!' },
    ]) {
      expect(await member.tabs[0].request('presence:list', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(await outsider.tabs[0].request('presence:list', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('serves a 40,000-member room: join, room:members and presence:list answer a page, never the room', async () => {
    const { room, owner, member, order } = await roomWith(40_000, 1000);
    const joiner = await pool.user();
    const started = Date.now();
    // A new member's join (a write and a broadcast), a member's join, a page from the far end.
    const joined = await joiner.tabs[0].ok('room:join', { roomId: room.id });
    expect(joined.room.memberCount).toBe(40_003);
    expect(joined.members.map((m) => m.userId)).toEqual(order.slice(0, 50));
    expect(joined.hasMore).toBe(true);
    const again = await member.tabs[0].ok('room:join', { roomId: room.id });
    expect(again.members).toHaveLength(50);

    // Walk to the end with presence:list pages of 500: every member exactly once.
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await owner.tabs[0].ok(
        'presence:list',
        after === undefined ? { roomId: room.id, limit: 500 } : { roomId: room.id, after, limit: 500 },
      );
      expect(page.users.length).toBeLessThanOrEqual(500);
      seen.push(...page.users.map((p) => p.userId));
      after = page.next;
    } while (after !== undefined);
    expect(seen).toHaveLength(40_003);
    expect(seen).toEqual([...order, joiner.user.id]);

    // The last page of room:members from a cursor near the end.
    const secondLast = order[order.length - 2];
    const fromCursor = Buffer.from(JSON.stringify([await joinedAt(db, room.id, secondLast), secondLast])).toString('base64url');
    const nearEnd = await owner.tabs[0].ok('room:members', { roomId: room.id, after: fromCursor });
    expect(nearEnd.members.map((m) => m.userId)).toEqual([order[order.length - 1], joiner.user.id]);
    expect(nearEnd.hasMore).toBe(false);
    // The public list and the member's own list carry the count without counting.
    expect((await joiner.tabs[0].ok('room:list', {})).rooms.find((r) => r.id === room.id)?.memberCount).toBe(40_003);
    console.log(`40,000-member room: join + join + ${Math.ceil(40_003 / 500)} presence pages + members in ${Date.now() - started} ms`);
  }, 120_000);
});

async function joinedAt(db: Kysely<Database>, roomId: string, userId: string): Promise<string> {
  const row = await db
    .selectFrom('room_members')
    .select('joined_at')
    .where('room_id', '=', roomId)
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.joined_at;
}

/**
 * "Does not exist" and "not yours" get one answer: a private room one is neither in nor invited
 * to answers exactly as an unknown room (code and message) on every room-scoped event.
 */
describe('rooms: hidden private rooms', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({ env: UNLIMITED_RATE });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  it('answers a private room exactly as an unknown room to a stranger, and FORBIDDEN for what one may know of', async () => {
    const owner = await pool.user();
    const stranger = await pool.user(2);
    const invitee = await pool.user();
    const target = await pool.user();
    const privateRoom = await createRoom(owner.tabs[0], 'hidden', { visibility: 'private' });
    const publicRoom = await createRoom(owner.tabs[0], 'listed');
    await owner.tabs[0].ok('room:invite', { roomId: privateRoom.id, userId: invitee.user.id });
    await invitee.tabs[0].waitFor('room:invited');

    const probes: [ClientEventName, (roomId: string) => unknown][] = [
      ['room:join', (roomId) => ({ roomId })],
      ['room:members', (roomId) => ({ roomId })],
      ['room:invite', (roomId) => ({ roomId, userId: target.user.id })],
      ['room:leave', (roomId) => ({ roomId })],
      ['presence:list', (roomId) => ({ roomId })],
      ['typing', (roomId) => ({ roomId, isTyping: true })],
    ];
    const notFound = { ok: false, error: { code: 'NOT_FOUND', reason: 'ROOM_NOT_FOUND', message: 'Room not found' } };
    for (const [event, payload] of probes) {
      const unknown = await stranger.tabs[0].request(event, payload('no-such-room'));
      const hidden = await stranger.tabs[0].request(event, payload(privateRoom.id));
      expect({ event, unknown, hidden }).toEqual({ event, unknown: notFound, hidden: notFound });
      // A public room is listed publicly: not being in it is FORBIDDEN, as before.
      if (event !== 'room:join') {
        const listed = await stranger.tabs[0].request(event, payload(publicRoom.id));
        expect({ event, code: listed.ok ? 'ok' : listed.error.code }).toEqual({ event, code: 'FORBIDDEN' });
      }
    }
    // An invitee knows the room: FORBIDDEN until they join, then a member.
    for (const event of ['room:members', 'room:leave'] as const) {
      const ack = await invitee.tabs[0].request(event, { roomId: privateRoom.id });
      expect({ event, code: ack.ok ? 'ok' : ack.error.code }).toEqual({ event, code: 'FORBIDDEN' });
    }
    expect((await invitee.tabs[0].ok('room:join', { roomId: privateRoom.id })).members.map((m) => m.userId)).toEqual([
      owner.user.id,
      invitee.user.id,
    ]);
    expect((await invitee.tabs[0].ok('room:members', { roomId: privateRoom.id })).members).toHaveLength(2);

    await settle();
    for (const tab of stranger.tabs) expect(roomTraffic(tab)).toEqual([]);
    expect(roomTraffic(target.tabs[0])).toEqual([]);
  });
});
