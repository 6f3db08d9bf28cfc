import request from 'supertest';
import type { Message } from '../src/contracts';
import { dmConversationId } from '../src/access/conversation-id';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, settle, type UserWithTabs } from './support/clients';
import { createTestDatabase } from './support/databases';
import { createRoom, send } from './support/chat';

describe('chat: history, read pointers, conversation list', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  it('gives gapless seqs 1..100 to 5 users × 20 concurrent messages in one room', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => pool.user()));
    const room = await createRoom(users[0].tabs[0], 'busy', { members: users.slice(1).map((u) => u.user.id) });
    const sent = await Promise.all(
      users.flatMap((u, ui) => Array.from({ length: 20 }, (_, i) => send(u.tabs[0], { roomId: room.id, content: `u${ui}-${i}` }))),
    );
    expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // Each sender's own messages kept their emit order.
    for (let ui = 0; ui < 5; ui++) {
      const mine = sent.filter((m) => m.from.id === users[ui].user.id);
      expect(mine.map((m) => m.content)).toEqual(Array.from({ length: 20 }, (_, i) => `u${ui}-${i}`));
      expect([...mine.map((m) => m.seq)]).toEqual([...mine.map((m) => m.seq)].sort((a, b) => a - b));
    }
    const page = await users[1].tabs[0].ok('message:history', { conversationId: `room:${room.id}`, limit: 100 });
    expect(page.hasMore).toBe(false);
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // Every member received the 80 messages the others sent, exactly once.
    await users[0].tabs[0].waitFor('message:new', () => users[0].tabs[0].all('message:new').length >= 80);
    await settle();
    for (const u of users) {
      const seqs = u.tabs[0].all('message:new').map((m) => m.seq);
      expect(seqs).toHaveLength(80);
      expect(new Set(seqs).size).toBe(80);
    }
  });

  describe('message:history', () => {
    let alice: UserWithTabs;
    let bob: UserWithTabs;
    let sent: Message[];
    let conversationId: string;

    beforeEach(async () => {
      alice = await pool.user();
      bob = await pool.user();
      sent = [];
      for (let i = 1; i <= 7; i++)
        sent.push(await send(i % 2 ? alice.tabs[0] : bob.tabs[0], { to: i % 2 ? bob.user.id : alice.user.id, content: `m${i}` }));
      conversationId = dmConversationId(alice.user.id, bob.user.id);
    });

    const seqs = (page: { messages: Message[] }) => page.messages.map((m) => m.seq);

    it('pages backwards with before and forwards with after, ascending, with hasMore', async () => {
      const c = alice.tabs[0];
      const latest = await c.ok('message:history', { conversationId, limit: 3 });
      expect(seqs(latest)).toEqual([5, 6, 7]);
      expect(latest.hasMore).toBe(true);
      expect(latest.messages[2]).toEqual(sent[6]);
      const older = await c.ok('message:history', { conversationId, before: 5, limit: 3 });
      expect([seqs(older), older.hasMore]).toEqual([[2, 3, 4], true]);
      const oldest = await c.ok('message:history', { conversationId, before: 2, limit: 3 });
      expect([seqs(oldest), oldest.hasMore]).toEqual([[1], false]);

      const fromStart = await c.ok('message:history', { conversationId, after: 0, limit: 3 });
      expect([seqs(fromStart), fromStart.hasMore]).toEqual([[1, 2, 3], true]);
      const next = await c.ok('message:history', { conversationId, after: 3, limit: 4 });
      expect([seqs(next), next.hasMore]).toEqual([[4, 5, 6, 7], false]);
      const between = await c.ok('message:history', { conversationId, after: 2, before: 6 });
      expect([seqs(between), between.hasMore]).toEqual([[3, 4, 5], false]);
      const all = await bob.tabs[0].ok('message:history', { conversationId });
      expect([seqs(all), all.hasMore]).toEqual([[1, 2, 3, 4, 5, 6, 7], false]);
    });

    it('refuses bad input and outsiders', async () => {
      const c = alice.tabs[0];
      for (const bad of [
        {},
        { conversationId, limit: 0 },
        { conversationId, limit: 101 },
        { conversationId, before: 'x' },
        { conversationId, after: -1 },
        { conversationId, limit: 1.5 },
      ]) {
        expect(await c.request('message:history', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      }
      const [x, y] = [alice.user.id, bob.user.id].sort();
      for (const malformed of ['nonsense', `dm:${y}:${x}`, `dm:${x}`, 'room:', `dm:${x}:${y}:z`]) {
        expect(await c.request('message:history', { conversationId: malformed })).toMatchObject({
          ok: false,
          error: { code: 'BAD_REQUEST', details: [{ field: 'conversationId' }] },
        });
      }
      const carol = await pool.user();
      // Someone else's DM is answered as an unknown one (no oracle for who talked to whom).
      expect(await carol.tabs[0].request('message:history', { conversationId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await carol.tabs[0].request('message:history', { conversationId: 'room:nope' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await carol.tabs[0].request('message:history', { conversationId: dmConversationId(carol.user.id, 'ghost') })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      // A DM with an existing user and no messages yet is simply empty.
      expect(await carol.tabs[0].ok('message:history', { conversationId: dmConversationId(carol.user.id, alice.user.id) })).toEqual({
        messages: [],
        hasMore: false,
      });
    });

    it('serves GET /conversations/:id/messages: 200, 400, 401, 404', async () => {
      const path = `/conversations/${encodeURIComponent(conversationId)}/messages`;
      const ok = await request(t.url).get(`${path}?before=7&limit=2`).set('authorization', `Bearer ${alice.token}`).expect(200);
      expect(ok.body).toEqual({ messages: [sent[4], sent[5]], hasMore: true });
      const after = await request(t.url)
        .get(`/conversations/${conversationId}/messages?after=5`)
        .set('authorization', `Bearer ${bob.token}`)
        .expect(200);
      expect(after.body).toEqual({ messages: [sent[5], sent[6]], hasMore: false });

      await request(t.url).get(path).expect(401);
      await request(t.url).get(path).set('authorization', 'Bearer not-a-token').expect(401);
      const carol = await pool.user();
      const notTheirs = await request(t.url).get(path).set('authorization', `Bearer ${carol.token}`).expect(404);
      expect(notTheirs.body).toEqual({ error: { code: 'NOT_FOUND', reason: 'CONVERSATION_NOT_FOUND', message: expect.any(String) } });
      const missing = await request(t.url)
        .get('/conversations/room:unknown/messages')
        .set('authorization', `Bearer ${carol.token}`)
        .expect(404);
      expect(missing.body.error.code).toBe('NOT_FOUND');
      const malformed = await request(t.url)
        .get('/conversations/garbage/messages')
        .set('authorization', `Bearer ${alice.token}`)
        .expect(400);
      expect(malformed.body.error).toMatchObject({ code: 'BAD_REQUEST', details: [{ field: 'conversationId' }] });
      await request(t.url).get(`${path}?limit=500`).set('authorization', `Bearer ${alice.token}`).expect(400);
      await request(t.url).get(`${path}?before=abc`).set('authorization', `Bearer ${alice.token}`).expect(400);
      await request(t.url).get(`${path}?from=${bob.user.id}`).set('authorization', `Bearer ${alice.token}`).expect(400);
    });
  });

  it('lets an offline user catch up: unread counts, then exactly the missed messages with after', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const carol = await pool.user();
    const room = await createRoom(alice.tabs[0], 'catch-up', { members: [bob.user.id, carol.user.id] });
    await send(alice.tabs[0], { to: bob.user.id, content: 'seen 1' });
    const seen = await send(alice.tabs[0], { to: bob.user.id, content: 'seen 2' });
    await send(alice.tabs[0], { roomId: room.id, content: 'room seen' });
    await bob.tabs[0].waitFor('message:new', (m) => m.content === 'room seen');
    await bob.tabs[0].ok('message:read', { conversationId: seen.conversationId, seq: seen.seq });
    await bob.tabs[0].ok('message:read', { conversationId: `room:${room.id}`, seq: 1 });
    bob.tabs[0].close();
    await settle(100);

    const missedDm = [
      await send(alice.tabs[0], { to: bob.user.id, content: 'missed 1' }),
      await send(alice.tabs[0], { to: bob.user.id, content: 'missed 2' }),
    ];
    const missedRoom = [
      await send(carol.tabs[0], { roomId: room.id, content: 'room missed 1' }),
      await send(alice.tabs[0], { roomId: room.id, content: 'room missed 2' }),
    ];
    await send(alice.tabs[0], { to: carol.user.id, content: 'not for bob' });

    const back = await pool.connect(bob.token);
    const { conversations, hasMore } = await back.ok('conversation:list', {});
    expect(hasMore).toBe(false);
    expect(conversations.map((c) => c.conversationId).sort()).toEqual([seen.conversationId, `room:${room.id}`].sort());
    // Most recent activity first: the room had the last message bob can see.
    expect(conversations[0].conversationId).toBe(`room:${room.id}`);
    const dm = conversations.find((c) => c.type === 'dm')!;
    expect(dm).toEqual({
      conversationId: seen.conversationId,
      type: 'dm',
      peer: alice.user,
      lastMessage: missedDm[1],
      unreadCount: 2,
      lastReadSeq: 2,
      mentionCount: 0,
    });
    const roomSummary = conversations.find((c) => c.type === 'room')!;
    expect(roomSummary).toEqual({
      conversationId: `room:${room.id}`,
      type: 'room',
      room: expect.objectContaining({ id: room.id, memberCount: 3 }),
      lastMessage: missedRoom[1],
      unreadCount: 2,
      lastReadSeq: 1,
      mentionCount: 0,
    });
    const dmPage = await back.ok('message:history', { conversationId: dm.conversationId, after: dm.lastReadSeq });
    expect(dmPage).toEqual({ messages: missedDm, hasMore: false });
    const roomPage = await back.ok('message:history', { conversationId: roomSummary.conversationId, after: roomSummary.lastReadSeq });
    expect(roomPage).toEqual({ messages: missedRoom, hasMore: false });

    // Own messages never count as unread.
    const aliceView = (await alice.tabs[0].ok('conversation:list', {})).conversations;
    expect(aliceView.find((c) => c.conversationId === seen.conversationId)).toMatchObject({ unreadCount: 0, lastReadSeq: 0 });
    expect(aliceView.find((c) => c.conversationId === `room:${room.id}`)).toMatchObject({ unreadCount: 1 });
    expect(await back.request('conversation:list', { userId: alice.user.id })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('moves the read pointer forward only and tells the other participants', async () => {
    const alice = await pool.user(2);
    const bob = await pool.user();
    const carol = await pool.user();
    for (let i = 0; i < 3; i++) await send(bob.tabs[0], { to: alice.user.id, content: `b${i}` });
    const conversationId = dmConversationId(alice.user.id, bob.user.id);
    const [a1, a2] = alice.tabs;

    expect(await a1.ok('message:read', { conversationId, seq: 2 })).toEqual({ conversationId, seq: 2 });
    expect(await bob.tabs[0].waitFor('message:read')).toEqual({ conversationId, userId: alice.user.id, seq: 2 });
    // The reader's other tabs are told too (to sync badges); the reading socket is not.
    expect(await a2.waitFor('message:read')).toEqual({ conversationId, userId: alice.user.id, seq: 2 });

    // Backwards or equal: the pointer stays and nobody is told.
    expect(await a1.ok('message:read', { conversationId, seq: 1 })).toEqual({ conversationId, seq: 2 });
    expect(await a2.ok('message:read', { conversationId, seq: 2 })).toEqual({ conversationId, seq: 2 });
    expect(await a1.ok('message:read', { conversationId, seq: 0 })).toEqual({ conversationId, seq: 2 });
    // Beyond the last message: refused.
    expect(await a1.request('message:read', { conversationId, seq: 4 })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', details: [{ field: 'seq' }] },
    });
    expect(await a1.ok('message:read', { conversationId, seq: 3 })).toEqual({ conversationId, seq: 3 });
    await bob.tabs[0].waitFor('message:read', (e) => e.seq === 3);
    await settle();
    expect(bob.tabs[0].all('message:read').map((e) => e.seq)).toEqual([2, 3]);
    expect(a1.all('message:read')).toEqual([]);
    expect(carol.tabs[0].all('message:read')).toEqual([]);

    for (const bad of [
      { conversationId, seq: -1 },
      { conversationId, seq: 'x' },
      { conversationId },
      { seq: 1 },
      { conversationId: 'bad', seq: 1 },
      { conversationId, seq: 1, userId: bob.user.id },
    ]) {
      expect(await a1.request('message:read', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(await carol.tabs[0].request('message:read', { conversationId, seq: 1 })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await a2.ok('conversation:list', {})).toEqual({
      conversations: [expect.objectContaining({ conversationId, unreadCount: 0, lastReadSeq: 3 })],
      hasMore: false,
    });
  });

  it("tells the room's other members about a read, and no outsider", async () => {
    const owner = await pool.user();
    const member = await pool.user();
    const outsider = await pool.user();
    const room = await createRoom(owner.tabs[0], 'reads', { members: [member.user.id] });
    await send(owner.tabs[0], { roomId: room.id, content: 'read me' });
    await member.tabs[0].ok('message:read', { conversationId: `room:${room.id}`, seq: 1 });
    expect(await owner.tabs[0].waitFor('message:read')).toEqual({ conversationId: `room:${room.id}`, userId: member.user.id, seq: 1 });
    await settle();
    expect(outsider.tabs[0].all('message:read')).toEqual([]);
    expect(await outsider.tabs[0].request('message:read', { conversationId: `room:${room.id}`, seq: 1 })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });
});

describe('chat: durability', () => {
  it('keeps acknowledged messages, seqs and read pointers across a restart on the same database', async () => {
    const database = await createTestDatabase();
    let t = await startApp({ database });
    let pool = new ClientTracker(() => t.url);
    try {
      const alice = await pool.user();
      const bob = await pool.user();
      const room = await createRoom(alice.tabs[0], 'durable', { members: [bob.user.id] });
      const dm = await send(alice.tabs[0], { to: bob.user.id, content: 'before restart', clientMsgId: 'k1' });
      const inRoom = await send(bob.tabs[0], { roomId: room.id, content: 'room before restart' });
      await bob.tabs[0].ok('message:read', { conversationId: dm.conversationId, seq: 1 });
      pool.closeAll();
      await t.stop();

      t = await startApp({ database });
      pool = new ClientTracker(() => t.url);
      const a = await pool.connect(alice.token);
      const b = await pool.connect(bob.token);
      expect(await a.ok('message:history', { conversationId: dm.conversationId })).toEqual({ messages: [dm], hasMore: false });
      expect(await a.ok('message:history', { conversationId: inRoom.conversationId })).toEqual({ messages: [inRoom], hasMore: false });
      // The counter continues, the idempotency key still holds and rooms are re-subscribed on connect.
      expect(await send(a, { to: bob.user.id, content: 'again', clientMsgId: 'k1' })).toEqual(dm);
      const after = await send(a, { roomId: room.id, content: 'after restart' });
      expect(after.seq).toBe(2);
      await b.waitFor('message:new', (m) => m.id === after.id);
      const list = (await b.ok('conversation:list', {})).conversations;
      expect(list.find((c) => c.conversationId === dm.conversationId)).toMatchObject({ lastReadSeq: 1, unreadCount: 0 });
    } finally {
      pool.closeAll();
      await t.stop();
      await database.drop();
    }
  });
});
