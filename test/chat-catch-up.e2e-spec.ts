import { dmConversationId } from '../src/access/conversation-id';
import type { ConversationChanges, Message } from '../src/contracts';
import { startApp, UNLIMITED_RATE, type TestApp } from './support/app';
import { ClientTracker, settle, type TestClient } from './support/clients';
import { createRoom, send } from './support/chat';

/** What a client knows of one conversation. */
interface State {
  messages: Map<string, Message>;
  reads: Map<string, number>;
  members: Set<string>;
  cursor: string;
}

function emptyState(conversationId: string): State {
  return { messages: new Map(), reads: new Map(), members: new Set(), cursor: conversationId };
}

/** What a client does with a `conversation:changes` entry (the README's example). */
function apply(state: State, changes: ConversationChanges): void {
  for (const m of changes.messages) state.messages.set(m.id, m);
  for (const r of changes.reads) state.reads.set(r.userId, Math.max(state.reads.get(r.userId) ?? 0, r.seq));
  for (const m of changes.members) {
    if (m.role) state.members.add(m.userId);
    else state.members.delete(m.userId);
  }
  state.cursor = changes.cursor;
}

/** Syncs every conversation in one call, asking again while any entry has more. */
async function catchUp(client: TestClient, states: State[], limit?: number): Promise<number> {
  let calls = 0;
  let pending = states;
  while (pending.length) {
    calls += 1;
    const { conversations } = await client.ok('conversation:changes', {
      cursors: pending.map((s) => s.cursor),
      ...(limit ? { limit } : {}),
    });
    for (const [i, entry] of conversations.entries()) {
      expect(entry.error).toBeUndefined();
      apply(pending[i], entry);
    }
    pending = pending.filter((_, i) => conversations[i].hasMore);
  }
  return calls;
}

const sorted = (state: State) => [...state.messages.values()].sort((x, y) => x.seq - y.seq);

describe('chat: catch-up with conversation:changes', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({ env: UNLIMITED_RATE });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  it('a client that was offline ends with the state of one that stayed online: messages, edits, deletes, reactions, reads, members', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const watcher = await pool.user();
    const offline = await pool.user();
    const joiner = await pool.user();
    const [a, b, w] = [alice.tabs[0], bob.tabs[0], watcher.tabs[0]];
    const room = await createRoom(a, 'catch-up', { members: [bob.user.id, watcher.user.id, offline.user.id] });
    const early = await send(a, { roomId: room.id, content: 'before the trip' });
    const earlyDm = await send(a, { to: offline.user.id, content: 'dm before' });
    const roomId = early.conversationId;
    const dmId = earlyDm.conversationId;

    // Both start from a full sync; the watcher then follows the events.
    const watched = emptyState(roomId);
    await catchUp(w, [watched]);
    const mine = [emptyState(roomId), emptyState(dmId)];
    await catchUp(offline.tabs[0], mine);
    expect(sorted(mine[0])).toEqual(sorted(watched));
    offline.tabs[0].close();

    w.socket.on('message:new', (m: Message) => watched.messages.set(m.id, m));
    w.socket.on('message:updated', (m: Message) => watched.messages.set(m.id, m));
    w.socket.on('message:read', (r: { userId: string; seq: number }) => watched.reads.set(r.userId, r.seq));
    w.socket.on('room:member-joined', (e: { user: { id: string } }) => watched.members.add(e.user.id));
    w.socket.on('room:member-left', (e: { userId: string }) => watched.members.delete(e.userId));

    const m2 = await send(b, { roomId: room.id, content: 'hello from bob' });
    const m3 = await send(a, { roomId: room.id, content: 'typo hree', replyTo: m2.id });
    await a.ok('message:edit', { messageId: m3.id, content: 'typo here' });
    await b.ok('message:delete', { messageId: m2.id });
    await a.ok('message:react', { messageId: early.id, emoji: '👍', on: true });
    await b.ok('message:react', { messageId: early.id, emoji: '👍', on: true });
    await b.ok('message:react', { messageId: early.id, emoji: '👍', on: false });
    await b.ok('message:react', { messageId: m3.id, emoji: ':eyes:', on: true });
    await b.ok('message:read', { conversationId: roomId, seq: 3 });
    // A pointer that moves twice (the second is an update of the row, not an insert).
    await a.ok('message:read', { conversationId: roomId, seq: 2 });
    await a.ok('message:read', { conversationId: roomId, seq: 3 });
    await joiner.tabs[0].ok('room:join', { roomId: room.id });
    await send(joiner.tabs[0], { roomId: room.id, content: `hi @${offline.user.username}` });
    await b.ok('room:leave', { roomId: room.id });
    for (let i = 0; i < 12; i++) await send(a, { roomId: room.id, content: `burst ${i}` });
    const dm2 = await send(a, { to: offline.user.id, content: 'dm while away' });
    await a.ok('message:edit', { messageId: earlyDm.id, content: 'dm before (edited)' });
    await a.ok('message:react', { messageId: dm2.id, emoji: '🎉', on: true });
    await a.ok('message:read', { conversationId: dmId, seq: 2 });
    const last = await send(a, { roomId: room.id, content: 'the end' });
    await w.waitFor('message:new', (m) => m.id === last.id);
    await settle();

    // Reconnect and catch up, in small pages to exercise the cursors (one call would do with the default limit).
    const back = await pool.connect(offline.token);
    const calls = await catchUp(back, mine, 5);
    expect(calls).toBeGreaterThan(1);
    expect(sorted(mine[0])).toEqual(sorted(watched));
    expect(mine[0].members).toEqual(new Set([...watched.members].filter(() => true)));
    for (const [userId, seq] of watched.reads) expect(mine[0].reads.get(userId)).toBe(seq);
    // Equal to what history says now, for the DM too (alice's edit and reaction, her read pointer).
    const roomHistory = await back.ok('message:history', { conversationId: roomId, limit: 100 });
    expect(sorted(mine[0])).toEqual(roomHistory.messages);
    const dmHistory = await back.ok('message:history', { conversationId: dmId, limit: 100 });
    expect(sorted(mine[1])).toEqual(dmHistory.messages);
    expect(mine[1].reads.get(alice.user.id)).toBe(2);
    expect(mine[0].members.has(bob.user.id)).toBe(false);
    expect(mine[0].members.has(joiner.user.id)).toBe(true);

    // Nothing new: one call, nothing in it, the cursors stay.
    const again = await back.ok('conversation:changes', { cursors: mine.map((s) => s.cursor) });
    expect(again.conversations.map((c) => [c.messages.length, c.reads.length, c.members.length, c.hasMore, c.cursor])).toEqual(
      mine.map((s) => [0, 0, 0, false, s.cursor]),
    );
  });

  it('tells a client whose access ended, and refuses bad input', async () => {
    const alice = await pool.user();
    const bob = await pool.user(2);
    const carol = await pool.user();
    const room = await createRoom(alice.tabs[0], 'leaving', { members: [bob.user.id] });
    const message = await send(alice.tabs[0], { roomId: room.id, content: 'x' });
    await bob.tabs[1].ok('room:leave', { roomId: room.id });
    const dm = dmConversationId(alice.user.id, carol.user.id);
    const { conversations } = await bob.tabs[0].ok('conversation:changes', { cursors: [`${message.conversationId}@1.0`, dm] });
    expect(conversations[0]).toMatchObject({
      conversationId: message.conversationId,
      messages: [],
      error: { code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' },
    });
    expect(conversations[1]).toMatchObject({
      conversationId: dm,
      messages: [],
      error: { code: 'NOT_FOUND', reason: 'CONVERSATION_NOT_FOUND' },
    });
    for (const payload of [
      {},
      { cursors: [] },
      { cursors: ['garbage'] },
      { cursors: [`${dm}@x.1`] },
      { cursors: [`${dm}@99999999999.0`] },
      { cursors: Array.from({ length: 101 }, () => dm) },
      { cursors: [dm], limit: 0 },
      { cursors: dm },
    ]) {
      expect(await bob.tabs[0].request('conversation:changes', payload)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
  });
});
