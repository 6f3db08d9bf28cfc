import { dmConversationId } from '../src/access/conversation-id';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, settle } from './support/clients';
import { contents, send } from './support/chat';

describe('chat: direct messages', () => {
  let t: TestApp;
  const pool = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => t.close());

  it('delivers to every tab of both users except the sending socket, and to nobody else', async () => {
    const alice = await pool.user(2);
    const bob = await pool.user(2);
    const carol = await pool.user(1);
    const [a1, a2] = alice.tabs;
    const [b1, b2] = bob.tabs;

    const message = await send(a1, { to: bob.user.id, content: '  hello bob  ', clientMsgId: 'c-1' });
    expect(message).toEqual({
      id: expect.any(String),
      conversationId: dmConversationId(alice.user.id, bob.user.id),
      seq: 1,
      from: { id: alice.user.id, username: alice.user.username },
      to: bob.user.id,
      content: 'hello bob',
      clientMsgId: 'c-1',
      createdAt: expect.any(String),
    });
    expect(new Date(message.createdAt).toISOString()).toBe(message.createdAt);

    for (const tab of [b1, b2, a2]) expect(await tab.waitFor('message:new', (m) => m.id === message.id)).toEqual(message);
    await settle();
    expect(a1.all('message:new')).toEqual([]);
    expect(carol.tabs[0].all('message:new')).toEqual([]);
    expect(b1.all('message:new')).toHaveLength(1);

    const reply = await send(b2, { to: alice.user.id, content: 'hi alice' });
    expect(reply).toMatchObject({ conversationId: message.conversationId, seq: 2, to: alice.user.id });
    expect(reply.clientMsgId).toBeUndefined();
    await Promise.all([a1, a2, b1].map((tab) => tab.waitFor('message:new', (m) => m.id === reply.id)));
    await settle();
    expect(b2.all('message:new').map((m) => m.id)).toEqual([message.id]);
  });

  it('refuses a payload that names its sender, and anything but exactly one of to/roomId', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const [a] = alice.tabs;
    for (const field of ['from', 'userId', 'senderId']) {
      const ack = await a.request('message:send', { to: bob.user.id, content: 'spoof', [field]: bob.user.id });
      expect(ack).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', details: [{ field }] } });
    }
    const neither = await a.request('message:send', { content: 'x' });
    expect(neither).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', details: [{ field: 'to' }, { field: 'roomId' }] } });
    const both = await a.request('message:send', { to: bob.user.id, roomId: 'r', content: 'x' });
    expect(both).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    for (const bad of [{ to: 42, content: 'x' }, { to: bob.user.id, content: 7 }, { to: bob.user.id }, 'text', null]) {
      expect(await a.request('message:send', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    await settle();
    expect(bob.tabs[0].all('message:new')).toEqual([]);
    // Still serving.
    expect(await send(a, { to: bob.user.id, content: 'real' })).toMatchObject({ seq: 1, from: { id: alice.user.id } });
  });

  it('checks content length after trimming (1–4000 by default)', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const [a] = alice.tabs;
    for (const content of ['', '    ', '\n\t ', 'x'.repeat(4001)]) {
      const ack = await a.request('message:send', { to: bob.user.id, content });
      expect(ack).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', details: [{ field: 'content' }] } });
    }
    const long = await send(a, { to: bob.user.id, content: `  ${'y'.repeat(4000)}  ` });
    expect(long.content).toHaveLength(4000);
    // An emoji is one character, not two UTF-16 units.
    expect((await send(a, { to: bob.user.id, content: '😀'.repeat(4000) })).seq).toBe(2);
  });

  it('honours MESSAGE_MAX_LENGTH', async () => {
    const small = await startApp({ env: { MESSAGE_MAX_LENGTH: '10' } });
    const smallPool = new ClientTracker(() => small.url);
    try {
      const alice = await smallPool.user();
      const bob = await smallPool.user();
      expect(await alice.tabs[0].request('message:send', { to: bob.user.id, content: 'x'.repeat(11) })).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST', details: [{ field: 'content', errors: ['content must be at most 10 characters'] }] },
      });
      expect((await send(alice.tabs[0], { to: bob.user.id, content: ` ${'x'.repeat(10)} ` })).content).toBe('x'.repeat(10));
    } finally {
      smallPool.closeAll();
      await small.close();
    }
  });

  it('answers NOT_FOUND for an unknown recipient and delivers nothing', async () => {
    const alice = await pool.user(2);
    const ack = await alice.tabs[0].request('message:send', { to: '00000000-0000-0000-0000-000000000000', content: 'hello?' });
    expect(ack).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await settle();
    expect(alice.tabs[1].all('message:new')).toEqual([]);
  });

  it('allows notes to self: dm:<id>:<id>, delivered to the other tabs only', async () => {
    const alice = await pool.user(2);
    const note = await send(alice.tabs[0], { to: alice.user.id, content: 'remember the milk' });
    expect(note).toMatchObject({ conversationId: dmConversationId(alice.user.id, alice.user.id), seq: 1, to: alice.user.id });
    await alice.tabs[1].waitFor('message:new', (m) => m.id === note.id);
    await settle();
    expect(alice.tabs[0].all('message:new')).toEqual([]);
    expect(alice.tabs[1].all('message:new')).toHaveLength(1);
  });

  it('is idempotent per clientMsgId: the first message comes back and is delivered once', async () => {
    const alice = await pool.user(2);
    const bob = await pool.user();
    const [a1, a2] = alice.tabs;
    const first = await send(a1, { to: bob.user.id, content: 'once', clientMsgId: 'retry-me' });
    const again = await send(a1, { to: bob.user.id, content: 'once (retried)', clientMsgId: 'retry-me' });
    expect(again).toEqual(first);
    // From another tab: still the same message.
    expect(await send(a2, { to: bob.user.id, content: 'once', clientMsgId: 'retry-me' })).toEqual(first);
    // A new id sent from three sockets at once (the unique index decides the race): one message.
    const a3 = await pool.connect(alice.token);
    const raced = await Promise.all(
      [a1, a2, a3, a1, a2, a3].map((tab) => send(tab, { to: bob.user.id, content: 'raced', clientMsgId: 'race-key' })),
    );
    raced.forEach((m) => expect(m).toEqual(raced[0]));
    expect(raced[0].seq).toBe(2);
    // A fresh id from the same user, and the same id from another user, are new messages.
    const next = await send(a1, { to: bob.user.id, content: 'twice', clientMsgId: 'another' });
    expect(next.seq).toBe(3);
    const bobs = await send(bob.tabs[0], { to: alice.user.id, content: 'mine', clientMsgId: 'retry-me' });
    expect(bobs.seq).toBe(4);

    await bob.tabs[0].waitFor('message:new', (m) => m.id === next.id);
    await a3.waitFor('message:new', (m) => m.id === bobs.id);
    await settle();
    expect(contents(bob.tabs[0])).toEqual(['once', 'raced', 'twice']);
    // a3 gets 'raced' once unless a3 itself was the socket that stored it.
    expect(contents(a3).filter((c) => c !== 'raced')).toEqual(['twice', 'mine']);
    expect(contents(a3).filter((c) => c === 'raced').length).toBeLessThanOrEqual(1);
  });

  it('simultaneous first messages of two users get seqs 1 and 2 in one conversation', async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const [x, y] = await Promise.all([
      send(alice.tabs[0], { to: bob.user.id, content: 'a' }),
      send(bob.tabs[0], { to: alice.user.id, content: 'b' }),
    ]);
    expect(x.conversationId).toBe(y.conversationId);
    expect([x.seq, y.seq].sort()).toEqual([1, 2]);
  });

  it("stores one socket's sends in the order it emitted them", async () => {
    const alice = await pool.user();
    const bob = await pool.user();
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => send(alice.tabs[0], { to: bob.user.id, content: `m${i}` })));
    expect(sent.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await bob.tabs[0].waitFor('message:new', (m) => m.seq === 20);
    expect(contents(bob.tabs[0])).toEqual(sent.map((m) => m.content));
  });
});
