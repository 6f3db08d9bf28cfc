import type { ConversationListResult, ConversationSummary } from '../src/contracts';
import type { Db } from '../src/storage/database';
import { DATABASE } from '../src/storage/database.module';
import { inBatches } from '../src/storage/in-batches';
import { dmConversationId } from '../src/access/conversation-id';
import { startApp, type TestApp } from './support/app';
import { createRoom, send } from './support/chat';
import { ClientTracker, type TestClient, type UserWithTabs } from './support/clients';

/** Every page of `conversation:list` from the start, following `next`. */
async function walk(client: TestClient, limit: number): Promise<ConversationListResult[]> {
  const pages: ConversationListResult[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await client.ok('conversation:list', before === undefined ? { limit } : { limit, before });
    pages.push(page);
    if (!page.hasMore) return pages;
    expect(page.next).toEqual(expect.any(String));
    expect(page.conversations).toHaveLength(limit);
    before = page.next;
  }
}

const ids = (conversations: ConversationSummary[]) => conversations.map((c) => c.conversationId);
/** Distinct milliseconds between sends, so the expected activity order is exact. */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 3));

describe('chat: conversation:list pages', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({ env: { RATE_LIMIT_BURST: '10000', RATE_LIMIT_EVENTS_PER_SEC: '10000' } });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  describe('a user with DMs, a note to self and rooms', () => {
    let me: UserWithTabs;
    let peers: UserWithTabs[];
    /** Conversation ids, most recent activity first. */
    let expected: string[];
    let unread: Map<string, number>;

    beforeEach(async () => {
      me = await pool.user();
      peers = await Promise.all(Array.from({ length: 5 }, () => pool.user()));
      const order: string[] = [];
      // An empty room: its activity is its creation.
      const quiet = await createRoom(me.tabs[0], 'quiet');
      order.push(`room:${quiet.id}`);
      await nextMillisecond();
      const busy = await createRoom(peers[0].tabs[0], 'busy', { members: [me.user.id, peers[1].user.id] });
      order.push(`room:${busy.id}`);
      unread = new Map();
      for (const [i, peer] of peers.entries()) {
        await nextMillisecond();
        // Even peers write to me (unread for me), odd ones get a message from me.
        if (i % 2 === 0) await send(peer.tabs[0], { to: me.user.id, content: `from ${i}` });
        else await send(me.tabs[0], { to: peer.user.id, content: `to ${i}` });
        order.push(dmConversationId(me.user.id, peer.user.id));
        if (i % 2 === 0) unread.set(dmConversationId(me.user.id, peer.user.id), 1);
      }
      await nextMillisecond();
      await send(me.tabs[0], { to: me.user.id, content: 'note to self' });
      order.push(dmConversationId(me.user.id, me.user.id));
      await nextMillisecond();
      await send(peers[1].tabs[0], { roomId: busy.id, content: 'room news 1' });
      await send(peers[0].tabs[0], { roomId: busy.id, content: 'room news 2' });
      order.splice(order.indexOf(`room:${busy.id}`), 1);
      order.push(`room:${busy.id}`);
      unread.set(`room:${busy.id}`, 2);
      expected = order.reverse();
    });

    it('walks every conversation exactly once in activity order, with the right unread counts on each page', async () => {
      const single = await me.tabs[0].ok('conversation:list', {});
      expect(ids(single.conversations)).toEqual(expected);
      expect(single).toMatchObject({ hasMore: false });
      expect(single.next).toBeUndefined();
      // The note to self is listed once although I am both of its participants.
      expect(ids(single.conversations).filter((id) => id === dmConversationId(me.user.id, me.user.id))).toHaveLength(1);

      for (const limit of [1, 2, 3, 8]) {
        const pages = await walk(me.tabs[0], limit);
        expect(pages).toHaveLength(Math.ceil(expected.length / limit));
        const walked = pages.flatMap((p) => p.conversations);
        expect(ids(walked)).toEqual(expected);
        for (const c of walked) {
          expect({ id: c.conversationId, unread: c.unreadCount }).toEqual({
            id: c.conversationId,
            unread: unread.get(c.conversationId) ?? 0,
          });
        }
        // Each page carries the same summaries as the single page.
        expect(walked).toEqual(single.conversations);
      }
      const busy = single.conversations[0];
      expect(busy).toMatchObject({ type: 'room', room: { name: 'busy', memberCount: 3 }, lastMessage: { content: 'room news 2' } });
      const fromPeer = single.conversations.find((c) => c.conversationId === dmConversationId(me.user.id, peers[0].user.id));
      expect(fromPeer).toMatchObject({
        type: 'dm',
        peer: peers[0].user,
        lastMessage: { content: 'from 0' },
        unreadCount: 1,
        lastReadSeq: 0,
      });
      // A peer sees only their own conversations.
      expect(ids((await peers[2].tabs[0].ok('conversation:list', {})).conversations)).toEqual([
        dmConversationId(me.user.id, peers[2].user.id),
      ]);
    });

    it('never repeats a conversation that moved up between pages, and misses nothing that did not move', async () => {
      const first = await me.tabs[0].ok('conversation:list', { limit: 3 });
      expect(ids(first.conversations)).toEqual(expected.slice(0, 3));
      // New activity in a conversation already seen and in one not yet seen.
      const seen = expected[2];
      const unseen = expected[5];
      const peerOf = (id: string) => peers.find((p) => dmConversationId(me.user.id, p.user.id) === id)!;
      await nextMillisecond();
      await send(peerOf(seen).tabs[0], { to: me.user.id, content: 'bump seen' });
      await nextMillisecond();
      await send(peerOf(unseen).tabs[0], { to: me.user.id, content: 'bump unseen' });

      const rest = (await walkFrom(me.tabs[0], 3, first.next!)).flatMap((p) => p.conversations);
      // Each page is duplicate-free and nothing of page one comes again.
      expect(new Set(ids(rest)).size).toBe(rest.length);
      expect(ids(rest)).not.toContain(seen);
      // The one that moved above the cursor is not further down either; the rest keep their order.
      expect(ids(rest)).toEqual(expected.slice(3).filter((id) => id !== unseen));
      // A fresh first page shows both at the top, newest first, with their new unread counts.
      const fresh = await me.tabs[0].ok('conversation:list', { limit: 2 });
      expect(ids(fresh.conversations)).toEqual([unseen, seen]);
      expect(fresh.conversations.map((c) => c.lastMessage?.content)).toEqual(['bump unseen', 'bump seen']);
      expect(fresh.conversations.map((c) => c.unreadCount)).toEqual([(unread.get(unseen) ?? 0) + 1, (unread.get(seen) ?? 0) + 1]);
    });

    it('moves unread counts with reads, page by page', async () => {
      const target = expected.find((id) => unread.get(id) === 1 && id.startsWith('dm:'))!;
      await me.tabs[0].ok('message:read', { conversationId: target, seq: 1 });
      const walked = (await walk(me.tabs[0], 2)).flatMap((p) => p.conversations);
      expect(walked.find((c) => c.conversationId === target)).toMatchObject({ unreadCount: 0, lastReadSeq: 1 });
      expect(walked.filter((c) => c.unreadCount > 0).map((c) => c.conversationId)).toEqual(
        expected.filter((id) => id !== target && (unread.get(id) ?? 0) > 0),
      );
    });
  });

  async function walkFrom(client: TestClient, limit: number, before: string): Promise<ConversationListResult[]> {
    const pages: ConversationListResult[] = [];
    for (let cursor: string | undefined = before; cursor !== undefined;) {
      const page: ConversationListResult = await client.ok('conversation:list', { limit, before: cursor });
      pages.push(page);
      cursor = page.hasMore ? page.next : undefined;
    }
    return pages;
  }

  it('takes {} and no payload as the first page, and refuses bad limits and cursors with BAD_REQUEST', async () => {
    const me = await pool.user();
    const peer = await pool.user();
    await send(peer.tabs[0], { to: me.user.id, content: 'hi' });
    const c = me.tabs[0];
    const first = {
      conversations: [expect.objectContaining({ conversationId: dmConversationId(me.user.id, peer.user.id) })],
      hasMore: false,
    };
    expect(await c.ok('conversation:list', {})).toEqual(first);
    expect(await c.ok('conversation:list')).toEqual(first);
    expect(await c.ok('conversation:list', { limit: 200 })).toEqual(first);
    expect(await c.ok('conversation:list', { limit: 1 })).toEqual(first);
    // null is absent, as for every optional field.
    expect(await c.request('conversation:list', { limit: null, before: null })).toEqual({ ok: true, data: first });

    const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const bad: [unknown, string][] = [
      [{ limit: 0 }, 'limit'],
      [{ limit: 201 }, 'limit'],
      [{ limit: 1.5 }, 'limit'],
      [{ limit: '100' }, 'limit'],
      [{ limit: true }, 'limit'],
      [{ before: 42 }, 'before'],
      [{ before: '' }, 'before'],
      [{ before: 'not a cursor!' }, 'before'],
      [{ before: 'x'.repeat(513) }, 'before'],
      [{ before: 'bm9wZQ' }, 'before'],
      [{ before: cursorOf(['2024-01-01T00:00:00.000Z']) }, 'before'],
      [{ before: cursorOf(['last tuesday', dmConversationId(me.user.id, peer.user.id)]) }, 'before'],
      [{ before: cursorOf(['2024-01-01T00:00:00.000Z', 'dm:b:a']) }, 'before'],
      [{ userId: peer.user.id }, 'userId'],
    ];
    for (const [payload, field] of bad) {
      const ack = await c.request('conversation:list', payload);
      expect({ payload, ack }).toMatchObject({ payload, ack: { ok: false, error: { code: 'BAD_REQUEST', details: [{ field }] } } });
    }
    for (const payload of ['text', 7, [1]]) {
      expect(await c.request('conversation:list', payload)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
  });

  it('pages a user with thousands of conversations, ties in activity included, in bounded pages', async () => {
    const me = await pool.user();
    const db = t.app.get<Db>(DATABASE);
    const count = 3000;
    const base = Date.parse('2020-01-01T00:00:00.000Z');
    const peers = Array.from({ length: count }, (_, i) => `bulk-${me.user.id.slice(0, 8)}-${String(i).padStart(5, '0')}`);
    // Three conversations per millisecond: pages have to break ties by id.
    const at = (i: number) => new Date(base + Math.floor(i / 3)).toISOString();
    const users = peers.map((id, i) => ({
      id,
      username: `bulk_${i}_${me.user.id.slice(0, 6)}`.toLowerCase(),
      display_name: `Bulk ${i}`,
      password_hash: 'x',
      created_at: at(0),
      last_seen_at: null,
    }));
    const conversations = peers.map((peer, i) => {
      const [a, b] = [me.user.id, peer].sort();
      // Every 250th peer wrote once (one unread message); the others only have a conversation row.
      return {
        id: dmConversationId(a, b),
        kind: 'dm' as const,
        room_id: null,
        user_a: a,
        user_b: b,
        last_seq: i % 250 === 0 ? 1 : 0,
        last_message_at: at(i),
        created_at: at(0),
      };
    });
    const messages = conversations
      .filter((c) => c.last_seq === 1)
      .map((c, i) => ({
        id: `bulk-m-${i}-${me.user.id.slice(0, 8)}`,
        conversation_id: c.id,
        seq: 1,
        sender_id: c.user_a === me.user.id ? c.user_b : c.user_a,
        sender_username: 'bulk',
        recipient_id: me.user.id,
        room_id: null,
        content: `bulk ${i}`,
        client_msg_id: null,
        created_at: c.last_message_at,
      }));
    await inBatches(
      users,
      (chunk) =>
        db
          .insertInto('users')
          .values(chunk)
          .execute()
          .then(() => []),
      500,
    );
    await inBatches(
      conversations,
      (chunk) =>
        db
          .insertInto('conversations')
          .values(chunk)
          .execute()
          .then(() => []),
      500,
    );
    await inBatches(
      messages,
      (chunk) =>
        db
          .insertInto('messages')
          .values(chunk)
          .execute()
          .then(() => []),
      500,
    );
    // And a real conversation with the newest activity of all.
    const friend = await pool.user();
    await send(friend.tabs[0], { to: me.user.id, content: 'live' });

    const first = await me.tabs[0].ok('conversation:list', {});
    expect(first.conversations).toHaveLength(100);
    expect(first.hasMore).toBe(true);
    expect(first.conversations[0]).toMatchObject({ conversationId: dmConversationId(me.user.id, friend.user.id), unreadCount: 1 });

    const pages = await walk(me.tabs[0], 200);
    expect(pages).toHaveLength(Math.ceil((count + 1) / 200));
    const walked = pages.flatMap((p) => p.conversations);
    expect(walked).toHaveLength(count + 1);
    expect(new Set(ids(walked)).size).toBe(count + 1);
    expect(new Set(ids(walked))).toEqual(new Set([dmConversationId(me.user.id, friend.user.id), ...conversations.map((c) => c.id)]));
    // Latest activity first, across every page boundary.
    const activity = new Map(conversations.map((c) => [c.id, c.last_message_at]));
    const times = walked.slice(1).map((c) => activity.get(c.conversationId)!);
    expect(times).toEqual([...times].sort().reverse());
    // Unread counts and peers are right wherever the conversation landed.
    const withUnread = new Set(messages.map((m) => m.conversation_id));
    for (const c of walked.slice(1)) {
      expect({ id: c.conversationId, unread: c.unreadCount, hasLast: c.lastMessage !== undefined }).toEqual({
        id: c.conversationId,
        unread: withUnread.has(c.conversationId) ? 1 : 0,
        hasLast: withUnread.has(c.conversationId),
      });
      expect(c.peer?.displayName).toMatch(/^Bulk \d+$/);
    }
  });
});
