import { dmConversationId } from '../src/access/conversation-id';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, settle } from './support/clients';
import { createRoom } from './support/chat';

describe('chat: typing', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  it("relays DM typing to the peer's tabs only and expires it after 5 s without a refresh", async () => {
    const alice = await pool.user(2);
    const bob = await pool.user(2);
    const carol = await pool.user();
    const conversationId = dmConversationId(alice.user.id, bob.user.id);
    expect(await alice.tabs[0].ok('typing', { to: bob.user.id, isTyping: true })).toEqual({});
    const started = Date.now();
    for (const tab of bob.tabs) expect(await tab.waitFor('typing')).toEqual({ conversationId, userId: alice.user.id, isTyping: true });

    const stopped = await bob.tabs[0].waitFor('typing', (e) => !e.isTyping, 8000);
    const elapsed = Date.now() - started;
    expect(stopped).toEqual({ conversationId, userId: alice.user.id, isTyping: false });
    expect(elapsed).toBeGreaterThanOrEqual(4500);
    await bob.tabs[1].waitFor('typing', (e) => !e.isTyping);
    await settle();
    // Never to the typist's own sockets, nor to anyone else.
    for (const tab of [...alice.tabs, carol.tabs[0]]) expect(tab.all('typing')).toEqual([]);
    expect(bob.tabs[0].all('typing')).toHaveLength(2);
  }, 20000);

  it('relays an explicit stop at once', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    await alice.tabs[0].ok('typing', { to: bob.user.id, isTyping: true });
    await bob.tabs[0].waitFor('typing', (e) => e.isTyping);
    await alice.tabs[0].ok('typing', { to: bob.user.id, isTyping: false });
    await bob.tabs[0].waitFor('typing', (e) => !e.isTyping);
    await settle();
    expect(bob.tabs[0].all('typing').map((e) => e.isTyping)).toEqual([true, false]);
  });

  it('relays room typing to the other members, not to outsiders or the typist', async () => {
    const owner = await pool.user(2);
    const member = await pool.user(2);
    const outsider = await pool.user();
    const room = await createRoom(owner.tabs[0], 'typing room', { members: [member.user.id] });
    await owner.tabs[0].ok('typing', { roomId: room.id, isTyping: true });
    for (const tab of member.tabs) {
      expect(await tab.waitFor('typing')).toEqual({ conversationId: `room:${room.id}`, userId: owner.user.id, isTyping: true });
    }
    await owner.tabs[0].ok('typing', { roomId: room.id, isTyping: false });
    await member.tabs[0].waitFor('typing', (e) => !e.isTyping);
    await settle();
    for (const tab of [...owner.tabs, outsider.tabs[0]]) expect(tab.all('typing')).toEqual([]);
  });

  it('refuses bad input, non-members and unknown users', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const owner = await pool.user();
    const room = await createRoom(owner.tabs[0], 'members only', { visibility: 'private' });
    const c = alice.tabs[0];
    for (const bad of [
      { isTyping: true },
      { to: bob.user.id, roomId: room.id, isTyping: true },
      { to: bob.user.id },
      { to: bob.user.id, isTyping: 'yes' },
      { to: bob.user.id, isTyping: true, userId: owner.user.id },
      'typing',
    ]) {
      expect(await c.request('typing', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    // A private room one is not in answers exactly as an unknown one; a public one is FORBIDDEN.
    const hidden = await c.request('typing', { roomId: room.id, isTyping: true });
    expect(hidden).toEqual({ ok: false, error: { code: 'NOT_FOUND', reason: 'ROOM_NOT_FOUND', message: 'Room not found' } });
    expect(await c.request('typing', { roomId: 'ghost', isTyping: true })).toEqual(hidden);
    const open = await createRoom(owner.tabs[0], 'open but not joined');
    expect(await c.request('typing', { roomId: open.id, isTyping: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await c.request('typing', { to: 'ghost', isTyping: true })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await settle();
    expect(owner.tabs[0].all('typing')).toEqual([]);
    expect(bob.tabs[0].all('typing')).toEqual([]);
    expect(await c.ok('typing', { to: bob.user.id, isTyping: false })).toEqual({});
  });
});
