import { startApp, UNLIMITED_RATE, type TestApp } from './support/app';
import { ClientTracker } from './support/clients';
import { createRoom, send } from './support/chat';

describe('chat: message:search (the engine’s full text search)', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({ env: UNLIMITED_RATE });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  it('finds words in the caller’s DMs and rooms, best match first, and nothing from conversations they cannot read', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const carol = await pool.user();
    const [a, b, c] = [alice.tabs[0], bob.tabs[0], carol.tabs[0]];
    const room = await createRoom(a, 'search room', { members: [bob.user.id] });
    const weak = await send(a, { to: bob.user.id, content: 'the zebra crossing was closed today because of the long parade downtown' });
    const strong = await send(b, { roomId: room.id, content: 'zebra zebra crossing' });
    await send(c, { to: bob.user.id, content: 'zebra crossing between carol and bob' });
    const other = await createRoom(c, 'carol only');
    await send(c, { roomId: other.id, content: 'zebra crossing in carol’s room' });

    const found = await a.ok('message:search', { query: 'Zebra crossing' });
    expect(found.results.map((m) => m.id)).toEqual([strong.id, weak.id]);
    expect(found.hasMore).toBe(false);
    // The last word also matches as a prefix; every word must match.
    expect((await a.ok('message:search', { query: 'parad' })).results.map((m) => m.id)).toEqual([weak.id]);
    expect((await a.ok('message:search', { query: 'zebra unicorn' })).results).toEqual([]);
    // One conversation only.
    const inRoom = await a.ok('message:search', { query: 'zebra', conversationId: strong.conversationId });
    expect(inRoom.results.map((m) => m.id)).toEqual([strong.id]);
    // Bob sees his three, carol her two; carol cannot search alice's conversation.
    expect((await b.ok('message:search', { query: 'zebra' })).results).toHaveLength(3);
    expect((await c.ok('message:search', { query: 'zebra' })).results).toHaveLength(2);
    expect(await c.request('message:search', { query: 'zebra', conversationId: weak.conversationId })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', reason: 'CONVERSATION_NOT_FOUND' },
    });
    // Leaving a room: nothing of it is found any more, not even what was seen before.
    await b.ok('room:leave', { roomId: room.id });
    expect((await b.ok('message:search', { query: 'zebra' })).results.map((m) => m.conversationId)).not.toContain(strong.conversationId);
  });

  it('keeps the index in step with edits and deletes', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const message = await send(alice.tabs[0], { to: bob.user.id, content: 'giraffe party tonight' });
    const search = async (query: string) => (await bob.tabs[0].ok('message:search', { query })).results.map((m) => m.id);
    expect(await search('giraffe')).toEqual([message.id]);
    await alice.tabs[0].ok('message:edit', { messageId: message.id, content: 'elephant party tonight' });
    expect(await search('giraffe')).toEqual([]);
    const [hit] = (await bob.tabs[0].ok('message:search', { query: 'elephant' })).results;
    expect(hit).toMatchObject({ id: message.id, content: 'elephant party tonight', editedAt: expect.any(String) });
    await alice.tabs[0].ok('message:delete', { messageId: message.id });
    expect(await search('elephant')).toEqual([]);
    expect(await search('party')).toEqual([]);
  });

  it('treats injection-looking queries and FTS syntax as text', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const [a] = alice.tabs;
    const quoted = await send(a, { to: bob.user.id, content: 'she said OR 1=1 is a classic' });
    await send(a, { to: bob.user.id, content: 'nothing to see' });
    for (const query of [
      '" OR 1=1 --',
      "' OR '1'='1",
      'NEAR(a b)',
      'content:*',
      '*',
      '"unbalanced',
      'a AND NOT b',
      '(((',
      '-',
      "'; drop table messages; --",
      '!:&|<->',
    ]) {
      const ack = await a.request('message:search', { query });
      expect(ack).toMatchObject({ ok: true });
      if (!ack.ok) continue;
      for (const m of ack.data.results) expect(m.conversationId).toBe(quoted.conversationId);
    }
    // The words of `" OR 1=1 --` are "or", "1", "1": only the message holding them.
    expect((await a.ok('message:search', { query: '" OR 1=1 --' })).results.map((m) => m.id)).toEqual([quoted.id]);
    expect((await a.ok('message:search', { query: '*' })).results).toEqual([]);
    // Still searchable afterwards.
    expect((await a.ok('message:search', { query: 'classic' })).results.map((m) => m.id)).toEqual([quoted.id]);
  });

  it('pages with next/before, and refuses bad input', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    for (let i = 0; i < 5; i++) await send(alice.tabs[0], { to: bob.user.id, content: `walrus number ${i}` });
    const first = await bob.tabs[0].ok('message:search', { query: 'walrus', limit: 3 });
    expect(first.results).toHaveLength(3);
    expect(first).toMatchObject({ hasMore: true, next: expect.any(String) });
    const second = await bob.tabs[0].ok('message:search', { query: 'walrus', limit: 3, before: first.next });
    expect(second.results).toHaveLength(2);
    expect(second.hasMore).toBe(false);
    expect(new Set([...first.results, ...second.results].map((m) => m.id)).size).toBe(5);
    for (const payload of [
      {},
      { query: '' },
      { query: 'x'.repeat(201) },
      { query: 'x', limit: 0 },
      { query: 'x', limit: 51 },
      { query: 'x', before: 'abc' },
      { query: 'x', conversationId: 'garbage' },
      { query: 1 },
    ]) {
      expect(await bob.tabs[0].request('message:search', payload)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
  });
});
