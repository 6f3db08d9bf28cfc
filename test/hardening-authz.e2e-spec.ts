import jwt from 'jsonwebtoken';
import request from 'supertest';
import { ERROR_CODES, type ClientEventName, type ErrorCode, type Room } from '../src/contracts';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app';
import { UsersRepository } from '../src/users/users.repository';
import { dmConversationId } from '../src/access/conversation-id';
import { ClientTracker, connect, connectError, registerUser, settle, type TestClient, type TestUser } from './support/clients';

/**
 * The authorization matrix: an outsider (Mallory) tries every event and endpoint against
 * Alice and Bob's things and is refused with the documented code (the access rules: existing but
 * not yours → FORBIDDEN, unknown → NOT_FOUND; what an outsider must not learn exists, such as
 * another pair's DM or a private room's conversation, is NOT_FOUND like an unknown one). Two listening sockets of Mallory must then see
 * none of Alice and Bob's traffic (since 0.2 that includes Alice's modal events: Mallory watches none).
 */
describe('hardening: authorization matrix', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let mallory: TestUser;
  let a: TestClient;
  let b: TestClient;
  let m: TestClient;
  let mListener: TestClient;
  let privateRoom: Room;
  let publicRoom: Room;
  let dm: string;
  const clients = new ClientTracker(() => t.url);

  beforeAll(async () => {
    t = await startApp({
      env: {
        RATE_LIMIT_BURST: '10000',
        RATE_LIMIT_EVENTS_PER_SEC: '10000',
        RATE_LIMIT_USER_BURST: '10000',
        RATE_LIMIT_USER_EVENTS_PER_SEC: '10000',
      },
    });
    [alice, bob, mallory] = await Promise.all([registerUser(t.url), registerUser(t.url), registerUser(t.url)]);
    [a, b, m, mListener] = await Promise.all([
      clients.connect(alice.token),
      clients.connect(bob.token),
      clients.connect(mallory.token),
      clients.connect(mallory.token),
    ]);
    privateRoom = await a.ok('room:create', { name: 'secret plans', visibility: 'private', members: [bob.user.id] });
    publicRoom = await a.ok('room:create', { name: 'town square', visibility: 'public' });
    dm = dmConversationId(alice.user.id, bob.user.id);
    await a.ok('message:send', { to: bob.user.id, content: 'dm before' });
    await a.ok('message:send', { roomId: privateRoom.id, content: 'room before' });
    await a.ok('modal:open', { modalId: 'invoice-42', exclusive: true });
    await b.ok('presence:subscribe', { userIds: [alice.user.id] });
  });

  afterAll(async () => {
    clients.closeAll();
    await t.close();
  });

  /** Each row: what Mallory sends and the code the documented rules give. */
  const rows = (): { event: ClientEventName; payload: unknown; code: ErrorCode; rule: string }[] => [
    {
      event: 'message:send',
      payload: { roomId: privateRoom.id, content: 'let me in' },
      code: 'NOT_FOUND',
      rule: 'only members send to a room (a private one is hidden)',
    },
    {
      event: 'message:send',
      payload: { roomId: publicRoom.id, content: 'not joined' },
      code: 'FORBIDDEN',
      rule: 'public rooms too, until joined',
    },
    { event: 'message:send', payload: { roomId: 'no-such-room', content: 'x' }, code: 'NOT_FOUND', rule: 'unknown room' },
    { event: 'message:send', payload: { to: 'no-such-user', content: 'x' }, code: 'NOT_FOUND', rule: 'unknown user' },
    {
      event: 'message:send',
      payload: { to: bob.user.id, content: 'x', from: alice.user.id },
      code: 'BAD_REQUEST',
      rule: 'a payload never names its sender',
    },
    { event: 'message:history', payload: { conversationId: dm }, code: 'NOT_FOUND', rule: "someone else's DM (existence hidden)" },
    {
      event: 'message:history',
      payload: { conversationId: `room:${privateRoom.id}` },
      code: 'NOT_FOUND',
      rule: 'private room history (existence hidden)',
    },
    {
      event: 'message:history',
      payload: { conversationId: `room:${publicRoom.id}` },
      code: 'FORBIDDEN',
      rule: 'public room history, not a member',
    },
    { event: 'message:history', payload: { conversationId: 'room:no-such-room' }, code: 'NOT_FOUND', rule: 'unknown room' },
    { event: 'message:read', payload: { conversationId: dm, seq: 1 }, code: 'NOT_FOUND', rule: "read pointer on someone else's DM" },
    {
      event: 'message:read',
      payload: { conversationId: `room:${privateRoom.id}`, seq: 1 },
      code: 'NOT_FOUND',
      rule: 'read pointer in a private room',
    },
    {
      event: 'typing',
      payload: { roomId: privateRoom.id, isTyping: true },
      code: 'NOT_FOUND',
      rule: 'typing in a private room one is not in (existence hidden)',
    },
    {
      event: 'typing',
      payload: { roomId: publicRoom.id, isTyping: true },
      code: 'FORBIDDEN',
      rule: 'typing in a public room one is not in',
    },
    { event: 'typing', payload: { roomId: 'no-such-room', isTyping: true }, code: 'NOT_FOUND', rule: 'unknown room' },
    {
      event: 'room:join',
      payload: { roomId: privateRoom.id },
      code: 'NOT_FOUND',
      rule: 'private room without invitation (existence hidden)',
    },
    { event: 'room:join', payload: { roomId: 'no-such-room' }, code: 'NOT_FOUND', rule: 'unknown room' },
    { event: 'room:members', payload: { roomId: privateRoom.id }, code: 'NOT_FOUND', rule: "a private room's members (existence hidden)" },
    { event: 'room:members', payload: { roomId: publicRoom.id }, code: 'FORBIDDEN', rule: "a public room's members, not a member" },
    { event: 'room:members', payload: { roomId: 'no-such-room' }, code: 'NOT_FOUND', rule: 'unknown room' },
    {
      event: 'room:invite',
      payload: { roomId: privateRoom.id, userId: mallory.user.id },
      code: 'NOT_FOUND',
      rule: 'inviting oneself into a private room (existence hidden)',
    },
    { event: 'room:invite', payload: { roomId: publicRoom.id, userId: bob.user.id }, code: 'FORBIDDEN', rule: 'only members invite' },
    {
      event: 'room:leave',
      payload: { roomId: privateRoom.id },
      code: 'NOT_FOUND',
      rule: 'leaving a private room one is not in (existence hidden)',
    },
    { event: 'room:leave', payload: { roomId: publicRoom.id }, code: 'FORBIDDEN', rule: 'leaving a public room one is not in' },
    { event: 'presence:list', payload: { roomId: privateRoom.id }, code: 'NOT_FOUND', rule: "a private room's members (existence hidden)" },
    { event: 'presence:list', payload: { roomId: publicRoom.id }, code: 'FORBIDDEN', rule: "a public room's members, not a member" },
    { event: 'modal:close', payload: { modalId: 'invoice-42' }, code: 'NOT_FOUND', rule: "closing Alice's modal" },
    { event: 'modal:open', payload: { modalId: 'invoice-42' }, code: 'CONFLICT', rule: 'Alice holds it exclusively' },
    { event: 'modal:release', payload: { modalId: 'invoice-42' }, code: 'FORBIDDEN', rule: "releasing Alice's lock" },
    {
      event: 'modal:release',
      payload: { modalId: 'invoice-42', to: mallory.user.id },
      code: 'FORBIDDEN',
      rule: "handing Alice's lock to oneself",
    },
    { event: 'session:refresh', payload: { token: alice.token }, code: 'FORBIDDEN', rule: "taking over Alice's identity" },
  ];

  it('refuses every event an outsider has no right to, with the documented code', async () => {
    const got = [];
    for (const row of rows()) {
      const ack = await m.request(row.event, row.payload);
      got.push({ event: row.event, rule: row.rule, code: ack.ok ? 'ok' : ack.error.code });
    }
    expect(got).toEqual(rows().map((r) => ({ event: r.event, rule: r.rule, code: r.code })));
    // Still Mallory after trying Alice's token.
    expect((await m.ok('presence:set', { status: 'online' })).userId).toBe(mallory.user.id);
  });

  it("lists nothing of other users' conversations or private rooms", async () => {
    const { conversations } = await m.ok('conversation:list', {});
    expect(conversations).toEqual([]);
    const joined = await m.ok('room:list', {});
    expect(joined.rooms).toEqual([]);
    const listed = await m.ok('room:list', { scope: 'public' });
    expect(listed.rooms.map((r) => r.id)).not.toContain(privateRoom.id);
  });

  it('answers REST without or with a wrong token with 401, and an outsider with 404 (403 for a public room)', async () => {
    const path = (id: string) => `/conversations/${encodeURIComponent(id)}/messages`;
    const expired = jwt.sign({ sub: mallory.user.id, exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET, { algorithm: 'HS256' });
    const otherKey = jwt.sign({ sub: alice.user.id }, 'not-the-secret-not-the-secret-not-the-secret', {
      algorithm: 'HS256',
      expiresIn: 60,
    });
    const noSubject = jwt.sign({}, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: 60 });
    const wrongTokens: [string, string | undefined][] = [
      ['none', undefined],
      ['garbage', 'Bearer not-a-token'],
      ['no scheme', alice.token],
      ['basic', `Basic ${Buffer.from(`${alice.user.username}:${alice.password}`).toString('base64')}`],
      ['other key', `Bearer ${otherKey}`],
      ['no subject', `Bearer ${noSubject}`],
      ['expired', `Bearer ${expired}`],
    ];
    for (const url of [path(dm), path(`room:${privateRoom.id}`), '/users/me', '/users', '/users?search=a']) {
      for (const [label, header] of wrongTokens) {
        const req = request(t.url).get(url);
        const res = await (header ? req.set('authorization', header) : req);
        expect({ url, label, status: res.status, code: res.body?.error?.code }).toEqual({
          url,
          label,
          status: 401,
          code: label === 'expired' ? expect.stringMatching(/^(UNAUTHORIZED|TOKEN_EXPIRED)$/) : 'UNAUTHORIZED',
        });
        expect(JSON.stringify(res.body)).not.toContain('dm before');
      }
    }
    const asMallory = (url: string) => request(t.url).get(url).set('authorization', `Bearer ${mallory.token}`);
    expect((await asMallory(path(dm))).status).toBe(404);
    expect((await asMallory(path(`room:${privateRoom.id}`))).body).toEqual({
      error: { code: 'NOT_FOUND', reason: 'CONVERSATION_NOT_FOUND', message: expect.any(String) },
    });
    expect((await asMallory(path(`room:${publicRoom.id}`))).status).toBe(403);
    expect((await asMallory(path('room:no-such-room'))).status).toBe(404);
    expect((await asMallory(path(dmConversationId(mallory.user.id, 'ghost')))).status).toBe(404);
    // /users/me is always the caller.
    expect((await asMallory('/users/me')).body.id).toBe(mallory.user.id);
  });

  it("lets the outsider's sockets receive nothing of Alice and Bob's traffic", async () => {
    // Everything Alice and Bob do after Mallory's refused attempts (a refused join must not
    // have subscribed her sockets to anything).
    await a.ok('message:send', { to: bob.user.id, content: 'dm after' });
    await b.ok('message:send', { roomId: privateRoom.id, content: 'room after' });
    await a.ok('message:send', { roomId: publicRoom.id, content: 'public after' });
    await b.ok('typing', { roomId: privateRoom.id, isTyping: true });
    await b.ok('typing', { to: alice.user.id, isTyping: true });
    await b.ok('message:read', { conversationId: dm, seq: 2 });
    await b.ok('message:read', { conversationId: `room:${privateRoom.id}`, seq: 2 });
    await a.ok('presence:set', { status: 'busy', statusText: 'in a meeting' });
    const carol = await registerUser(t.url);
    await a.ok('room:invite', { roomId: privateRoom.id, userId: carol.user.id });
    const c = await clients.connect(carol.token);
    await c.ok('room:join', { roomId: privateRoom.id });
    await c.ok('room:leave', { roomId: privateRoom.id });
    await a.ok('modal:close', { modalId: 'invoice-42' });
    await b.waitFor('message:new', (msg) => msg.content === 'dm after');
    await a.waitFor('room:member-left', (e) => e.roomId === privateRoom.id);
    await settle(300);

    const allowed = new Set(['session', 'modal:state']);
    for (const socket of [m, mListener]) {
      const leaked = socket.received.filter(
        (r) => !allowed.has(r.event) && !(r.event === 'presence:update' && (r.payload as { userId: string }).userId === mallory.user.id),
      );
      expect(leaked).toEqual([]);
      // Even the broadcasts name no conversation content.
      expect(JSON.stringify(socket.received)).not.toMatch(/dm (before|after)|room (before|after)|secret plans|in a meeting/);
    }
    // Modal events go to watchers only (0.2): Mallory watches nothing, so none reached her.
    expect(mListener.all('modal:closed')).toEqual([]);
  });
});

/**
 * A user deleted while connected (there is no delete endpoint; an operator removes the row).
 * What holds today: the handshake refuses the user's token at once, and the live socket is
 * answered with well-formed envelopes without hurting anyone else. Known gap (reported, in
 * sessions/, owned elsewhere): the live socket is not disconnected, `session:refresh` does not
 * re-check that the user exists, `message:send` still delivers, and `room:create` answers
 * INTERNAL (the owner foreign key). The socket ends at the latest when its token expires.
 */
describe('hardening: a user deleted while connected', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  it('refuses new handshakes and answers the live socket with clean errors', async () => {
    const doomed = await registerUser(t.url);
    const friend = await registerUser(t.url);
    const live = await connect(t.url, doomed.token);
    const other = await connect(t.url, friend.token);
    try {
      await t.app.get(UsersRepository).delete(doomed.user.id);
      expect((await connectError(t.url, { auth: { token: doomed.token } })).data?.code).toBe('UNAUTHORIZED');
      const outcomes: Record<string, string> = {};
      const tries: [ClientEventName, unknown][] = [
        ['message:send', { to: friend.user.id, content: 'from beyond' }],
        ['room:create', { name: 'ghost room' }],
        ['session:refresh', { token: doomed.token }],
        ['conversation:list', {}],
      ];
      for (const [event, payload] of tries) {
        const ack = await live.request(event, payload);
        outcomes[event] = ack.ok ? 'ok' : ack.error.code;
      }
      console.log(`deleted user's live socket: ${JSON.stringify(outcomes)}`);
      for (const code of Object.values(outcomes)) expect(['ok', ...ERROR_CODES]).toContain(code);
      // The rest of the service is unaffected.
      expect((await other.ok('conversation:list', {})).conversations).toBeDefined();
      expect((await request(t.url).get('/health')).status).toBe(200);
    } finally {
      live.close();
      other.close();
    }
  });
});
