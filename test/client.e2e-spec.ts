import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { createClient, RealtimeError, type Message, type RealtimeClient, type ServerEventMap } from '@realtime-backend/client';
import jwt from 'jsonwebtoken';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app';
import { ClientTracker, registerUser, type TestUser } from './support/clients';
import { ContractValidator } from './support/typed-client';

/** Waits for the next `event` on a typed client. */
function next<E extends keyof ServerEventMap>(client: RealtimeClient, event: E, timeoutMs = 5000): Promise<ServerEventMap[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const off = client.on(event, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

describe('typed client (@realtime-backend/client)', () => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  const clients = new ClientTracker(() => app.url);

  beforeAll(async () => {
    app = await startApp();
    [alice, bob] = await Promise.all([registerUser(app.url), registerUser(app.url)]);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => app?.close());

  it('builds on its own, from packages/client and the contract types only', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'packages/client/tsconfig.json', '--noEmit', '--listFilesOnly'],
      { cwd: `${__dirname}/..`, timeout: 120_000 },
    );
    const own = stdout.split('\n').filter((f) => f && !f.includes('node_modules'));
    expect(own.length).toBeGreaterThan(2);
    for (const file of own) expect(file).toMatch(/\/(packages\/client\/src\/[^/]+|src\/contracts\/(errors|models|events))\.ts$/);
  }, 120_000);

  it('request resolves with the typed ack data; on() delivers typed server events', async () => {
    const a = await clients.typed(alice.token);
    const b = await clients.typed(bob.token);
    expect(a.user?.id).toBe(alice.user.id);
    const incoming = next(b, 'message:new');
    const sent: Message = await a.request('message:send', { to: bob.user.id, content: 'hello from the typed client' });
    expect(sent).toMatchObject({ seq: 1, from: { id: alice.user.id }, content: 'hello from the typed client' });
    expect(await incoming).toEqual(sent);
  });

  it('session carries the token expiry; ready() resolves with it', async () => {
    const a = await clients.typed(alice.token);
    const { exp } = jwt.decode(alice.token) as { exp: number };
    expect(a.status).toMatchObject({
      state: 'connected',
      session: { sessionId: a.sessionId, expiresAt: new Date(exp * 1000).toISOString() },
    });
    expect(await a.ready()).toBe(a.status.session);
  });

  it('types message:send and typing with exactly one of to and roomId', async () => {
    const a = await clients.typed(alice.token);
    // @ts-expect-error both targets
    const both = a.request('message:send', { to: bob.user.id, roomId: 'r', content: 'x' });
    // @ts-expect-error no target
    const neither = a.request('message:send', { content: 'x' });
    // @ts-expect-error both targets
    a.emit('typing', { to: bob.user.id, roomId: 'r', isTyping: true });
    // The server refuses them as well: the types say what it checks.
    await expect(both).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(neither).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(a.request('message:send', { roomId: 'no-such-room', content: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a failed ack rejects with a RealtimeError carrying code, message and details', async () => {
    const a = await clients.typed(alice.token);
    const notFound = await a.request('room:join', { roomId: 'no-such-room' }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(RealtimeError);
    expect(notFound).toMatchObject({ code: 'NOT_FOUND', event: 'room:join', message: expect.any(String) });

    const bad = await a.request('room:create', { name: 'x', owner: 'me' } as never).catch((e: unknown) => e as RealtimeError);
    expect(bad).toMatchObject({ code: 'BAD_REQUEST' });
    expect((bad as RealtimeError).details).toEqual([{ field: 'owner', errors: [expect.any(String)] }]);
  });

  it('emit without an ack answers a failure with the typed exception event', async () => {
    const a = await clients.typed(alice.token);
    const exception = next(a, 'exception');
    a.emit('modal:close', { modalId: 'never-opened' });
    expect(await exception).toMatchObject({ event: 'modal:close', error: { code: 'NOT_FOUND' } });
  });

  it('keeps its session across a reconnect: same sessionId, modals still open', async () => {
    const sessions: string[] = [];
    const a = await clients.typed(alice.token, { onSession: (s) => sessions.push(s.sessionId) });
    const first = a.sessionId!;
    await a.request('modal:open', { modalId: 'invoice-42' });

    const resumed = next(a, 'session', 15_000);
    a.socket.io.engine.close(); // a network drop: socket.io reconnects by itself
    expect((await resumed).sessionId).toBe(first);
    expect(a.sessionId).toBe(first);
    expect(sessions).toEqual([first, first]);
    const { modals } = await a.request('modal:list', { modalId: 'invoice-42' });
    expect(modals[0].viewers).toEqual([expect.objectContaining({ userId: alice.user.id, sessionId: first })]);
  }, 30_000);

  it('a refused handshake rejects ready() with the catalogue code', async () => {
    const client = createClient(app.url, 'not-a-jwt', { socket: { forceNew: true } });
    try {
      await expect(client.ready()).rejects.toMatchObject({ name: 'RealtimeError', code: 'UNAUTHORIZED' });
      expect(client.status).toMatchObject({ state: 'refused', error: { code: 'UNAUTHORIZED' } });
      // socket.io does not retry it; with a good token the app connects again.
      await client.setToken(alice.token);
      client.socket.connect();
      await expect(client.ready()).resolves.toMatchObject({ user: { id: alice.user.id } });
    } finally {
      client.disconnect();
    }
  });

  it('setToken refreshes the live connection and is used for the next handshake', async () => {
    const a = await clients.typed(alice.token);
    const login = await request(app.url).post('/auth/login').send({ username: alice.user.username, password: alice.password }).expect(200);
    const refreshed = await a.setToken(login.body.accessToken as string);
    expect(refreshed).toEqual({ expiresAt: expect.any(String) });
    const resumed = next(a, 'session', 15_000);
    a.socket.io.engine.close();
    expect((await resumed).user.id).toBe(alice.user.id);
  }, 30_000);

  it('real traffic matches the AsyncAPI schemas (every ack and every server event)', async () => {
    const contract = new ContractValidator();
    const problems: string[] = [];
    const seenEvents = new Set<string>();
    const watch = (client: RealtimeClient) =>
      client.socket.onAny((event: string, payload: unknown) => {
        seenEvents.add(event);
        problems.push(...contract.checkEvent(event, payload));
      });
    const a = createClient(app.url, alice.token, { socket: { forceNew: true, autoConnect: false } });
    const b = createClient(app.url, bob.token, { socket: { forceNew: true, autoConnect: false } });
    watch(a);
    watch(b);
    a.socket.connect();
    b.socket.connect();
    await Promise.all([a.ready(), b.ready()]);
    const acked = new Set<string>();
    /** The raw envelope, as it came over the wire. */
    const call = async (client: RealtimeClient, event: string, payload: unknown) => {
      problems.push(...contract.checkRequest(event, payload));
      const raw = client.socket.timeout(5000) as unknown as {
        emitWithAck(event: string, payload: unknown): Promise<{ ok: boolean; data?: unknown }>;
      };
      const ack = await raw.emitWithAck(event, payload);
      problems.push(...contract.checkAck(event, ack));
      acked.add(event);
      return ack.data as Record<string, unknown>;
    };
    try {
      await call(b, 'presence:subscribe', { all: true });
      await call(a, 'presence:set', { status: 'busy', statusText: 'writing docs' });
      await call(b, 'presence:list', { userIds: [alice.user.id] });
      const room = await call(a, 'room:create', { name: 'docs', visibility: 'private' });
      await call(a, 'room:list', { scope: 'public' });
      await call(a, 'room:invite', { roomId: room.id, userId: bob.user.id });
      await call(b, 'room:join', { roomId: room.id });
      const message = await call(a, 'message:send', { roomId: room.id, content: 'schema check', clientMsgId: 'c-1' });
      await call(b, 'message:history', { conversationId: message.conversationId, limit: 10 });
      await call(b, 'message:read', { conversationId: message.conversationId, seq: 1 });
      await call(b, 'conversation:list', {});
      await call(a, 'typing', { roomId: room.id, isTyping: true });
      await call(b, 'modal:watch', { modalIds: ['m-1'], prefixes: ['m-'] });
      await call(a, 'modal:open', { modalId: 'm-1', exclusive: true });
      await call(b, 'modal:open', { modalId: 'm-1' }); // CONFLICT: the error branch of the ack
      await call(b, 'modal:request', { modalId: 'm-1' });
      await call(a, 'modal:release', { modalId: 'm-1', to: bob.user.id });
      await call(b, 'modal:list', {});
      await call(a, 'modal:close', { modalId: 'm-1' });
      await call(b, 'modal:unwatch', { prefixes: ['m-'] });
      await call(b, 'room:leave', { roomId: room.id });
      await call(b, 'presence:unsubscribe', { all: true });
      await call(a, 'session:refresh', { token: alice.token });
      await call(a, 'room:join', { roomId: 'missing' });
      a.emit('room:leave', { roomId: 'missing' }); // exception event
      await next(a, 'exception');
    } finally {
      a.disconnect();
      b.disconnect();
    }
    expect(problems).toEqual([]);
    expect(acked.size).toBeGreaterThanOrEqual(17);
    expect([...seenEvents].sort()).toEqual(
      expect.arrayContaining([
        'exception',
        'message:new',
        'message:read',
        'modal:closed',
        'modal:lock',
        'modal:opened',
        'modal:state',
        'presence:update',
        'room:invited',
        'room:member-joined',
        'room:member-left',
        'session',
        'typing',
      ]),
    );
  }, 60_000);
});

describe('typed client: token refresh (refreshToken option)', () => {
  let app: TestApp;
  let carol: TestUser;
  const clients = new ClientTracker(() => app.url);
  const login = async () => {
    const res = await request(app.url).post('/auth/login').send({ username: carol.user.username, password: carol.password }).expect(200);
    return res.body.accessToken as string;
  };
  const expiredToken = () => jwt.sign({ sub: carol.user.id, exp: Math.floor(Date.now() / 1000) - 5 }, TEST_JWT_SECRET);

  beforeAll(async () => {
    app = await startApp({ env: { JWT_EXPIRES_IN: '4' } }); // 4 s tokens
    carol = await registerUser(app.url);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => app?.close());

  it('refreshes the live connection before the token expires: the connection outlives its first token', async () => {
    const refreshed: string[] = [];
    let thirdRefresh!: () => void;
    const third = new Promise<void>((resolve) => (thirdRefresh = resolve));
    const a = await clients.typed(await login(), {
      refreshToken: async () => {
        const token = await login();
        refreshed.push(token);
        if (refreshed.length === 3) thirdRefresh();
        return token;
      },
    });
    const first = a.status.session!;
    const seen: string[] = [];
    a.socket.onAny((event: string) => seen.push(event));
    await third; // about 6 s in: past the first token's expiry (4 s)
    expect(seen).not.toContain('session:expired');
    expect(seen).not.toContain('session'); // never reconnected
    expect(a.socket.connected).toBe(true);
    expect(a.sessionId).toBe(first.sessionId);
    await expect(a.request('presence:list', { userIds: [carol.user.id] })).resolves.toMatchObject({ users: [{ userId: carol.user.id }] });
  }, 30_000);

  it('a handshake refused as expired asks refreshToken once and connects with the new token', async () => {
    const refreshToken = jest.fn(login);
    const a = await clients.typed(expiredToken(), { refreshToken });
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(a.status).toMatchObject({ state: 'connected', session: { user: { id: carol.user.id } } });
  });

  it('a refresh that is refused too is final: ready() rejects, refreshToken was asked once', async () => {
    const refreshToken = jest.fn(() => Promise.resolve('still-not-a-token'));
    const a = clients.track(createClient(app.url, expiredToken(), { refreshToken, socket: { forceNew: true } }));
    await expect(a.ready()).rejects.toMatchObject({ name: 'RealtimeError', code: 'UNAUTHORIZED' });
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(a.status.state).toBe('refused');
  });

  it('after session:expired (the refresh failed in time) it reconnects with a fresh token to the same session', async () => {
    let calls = 0;
    const a = await clients.typed(await login(), {
      refreshToken: () => (++calls === 1 ? Promise.reject(new Error('identity provider down')) : login()),
    });
    const first = a.sessionId;
    const expired = next(a, 'session:expired', 15_000);
    const resumed = new Promise<string>((resolve) => a.socket.once('session', (s) => resolve(s.sessionId)));
    await expired;
    expect(await resumed).toBe(first);
    expect(calls).toBe(2);
    expect(a.status.state).toBe('connected');
  }, 30_000);
});

describe('typed client: an ended session is not refreshed', () => {
  let app: TestApp;
  let dave: TestUser;
  const clients = new ClientTracker(() => app.url);
  const login = async () => {
    const res = await request(app.url).post('/auth/login').send({ username: dave.user.username, password: dave.password }).expect(200);
    return res.body as { accessToken: string; refreshToken: string };
  };

  beforeAll(async () => {
    app = await startApp();
    dave = await registerUser(app.url);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => app?.close());

  it('session:expired { reason: "logout" } ends the client: refused with SESSION_ENDED, refreshToken never asked', async () => {
    const { accessToken } = await login();
    const refreshToken = jest.fn(async () => (await login()).accessToken);
    const a = await clients.typed(accessToken, { refreshToken });
    const refused = new Promise<void>((resolve) => a.onStatus((s) => s.state === 'refused' && resolve()));
    const expired = next(a, 'session:expired');
    await request(app.url).post('/auth/logout').set('authorization', `Bearer ${accessToken}`).send({}).expect(204);
    expect(await expired).toEqual({ reason: 'logout' });
    await refused;
    expect(a.status.error).toMatchObject({
      name: 'RealtimeError',
      code: 'UNAUTHORIZED',
      reason: 'SESSION_ENDED',
      details: { reason: 'logout' },
    });
    expect(refreshToken).not.toHaveBeenCalled();
    expect(a.socket.active).toBe(false); // no reconnect
    await expect(a.ready()).rejects.toMatchObject({ reason: 'SESSION_ENDED' });
  });

  it('a handshake refused because the session ended (SESSION_ENDED) is final: refreshToken never asked', async () => {
    const { accessToken } = await login();
    await request(app.url).post('/auth/logout').set('authorization', `Bearer ${accessToken}`).send({}).expect(204);
    const refreshToken = jest.fn(async () => (await login()).accessToken);
    const a = clients.track(createClient(app.url, accessToken, { refreshToken, socket: { forceNew: true } }));
    await expect(a.ready()).rejects.toMatchObject({ name: 'RealtimeError', code: 'UNAUTHORIZED', reason: 'SESSION_ENDED' });
    expect(refreshToken).not.toHaveBeenCalled();
    expect(a.status.state).toBe('refused');
  });

  it('a refresh token reused (revoked) ends the live socket without a refresh', async () => {
    const first = await login();
    const refreshToken = jest.fn(async () => (await login()).accessToken);
    const a = await clients.typed(first.accessToken, { refreshToken });
    const expired = next(a, 'session:expired');
    await request(app.url).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200);
    await request(app.url).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401); // reused
    expect(await expired).toEqual({ reason: 'revoked' });
    await expect(a.ready()).rejects.toMatchObject({ reason: 'SESSION_ENDED', details: { reason: 'revoked' } });
    expect(refreshToken).not.toHaveBeenCalled();
  });
});

describe('typed client: messages, search and watched modals (0.2 events)', () => {
  let app: TestApp;
  let erin: TestUser;
  let fred: TestUser;
  let gina: TestUser;
  const clients = new ClientTracker(() => app.url);

  beforeAll(async () => {
    app = await startApp();
    [erin, fred, gina] = await Promise.all([registerUser(app.url), registerUser(app.url), registerUser(app.url)]);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => app?.close());

  it('edit, react, reply, delete and search are typed requests; the peer gets message:updated', async () => {
    const e = await clients.typed(erin.token);
    const f = await clients.typed(fred.token);
    const sent = await e.request('message:send', { to: fred.user.id, content: 'the quarterly invoice' });
    const reply = await f.request('message:send', { to: erin.user.id, content: 'seen it', replyTo: sent.id });
    expect(reply.replyTo).toMatchObject({ id: sent.id, excerpt: 'the quarterly invoice' });

    const edited = next(f, 'message:updated');
    const edit = await e.request('message:edit', { messageId: sent.id, content: 'the quarterly invoice, corrected' });
    expect(await edited).toEqual(edit);
    expect(edit.editedAt).toEqual(expect.any(String));

    const reacted = next(e, 'message:updated');
    const { reactions } = await f.request('message:react', { messageId: sent.id, emoji: '👍', on: true });
    expect(reactions).toEqual([{ emoji: '👍', count: 1, userIds: [fred.user.id] }]);
    expect((await reacted).reactions).toEqual(reactions);

    // Only the author edits: Fred's attempt is refused with the catalogue code.
    await expect(f.request('message:edit', { messageId: sent.id, content: 'mine now' })).rejects.toMatchObject({
      name: 'RealtimeError',
      code: 'FORBIDDEN',
      event: 'message:edit',
    });

    const { results } = await f.request('message:search', { query: 'corrected', conversationId: sent.conversationId });
    expect(results.map((m) => m.id)).toEqual([sent.id]);

    const tombstone = next(f, 'message:updated');
    await e.request('message:delete', { messageId: sent.id });
    expect(await tombstone).toMatchObject({ id: sent.id, content: '', deletedAt: expect.any(String) });
  });

  it('a watcher gets modal:opened and modal:lock; a socket that does not watch gets nothing', async () => {
    const e = await clients.typed(erin.token);
    const f = await clients.typed(fred.token);
    const idle = await clients.typed(gina.token);
    const heard: string[] = [];
    // (`modal:state` after `session` is the socket's own state, not another user's event.)
    idle.socket.onAny((event: string) => ['modal:opened', 'modal:closed', 'modal:lock'].includes(event) && heard.push(event));
    const watched = await f.request('modal:watch', { modalIds: ['order:9'] });
    expect(watched).toEqual({ modals: [], hasMore: false });

    const opened = next(f, 'modal:opened');
    const state = await e.request('modal:open', { modalId: 'order:9', exclusive: true });
    expect(state.lock).toMatchObject({ holder: { userId: erin.user.id }, fencingToken: expect.any(Number) });
    expect(await opened).toMatchObject({ modalId: 'order:9', viewer: { userId: erin.user.id, exclusive: true } });

    const asked = next(e, 'modal:lock');
    await f.request('modal:request', { modalId: 'order:9' });
    expect(await asked).toMatchObject({ modalId: 'order:9', fencingToken: state.lock!.fencingToken, requestedBy: { id: fred.user.id } });
    await f.request('modal:unwatch', { modalIds: ['order:9'] });
    await e.request('modal:close', { modalId: 'order:9' });
    await idle.request('presence:list', { userIds: [gina.user.id] }); // a round trip after the others
    expect(heard).toEqual([]);
  });
});
