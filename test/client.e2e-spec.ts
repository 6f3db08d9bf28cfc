import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { createClient, RealtimeError, type Message, type RealtimeClient, type ServerEventMap } from '../client';
import { startApp, type TestApp } from './support/app';
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

describe('typed client (client/)', () => {
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

  it('builds on its own, from client/ and src/contracts only', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'client/tsconfig.json', '--noEmit', '--listFilesOnly'],
      { cwd: `${__dirname}/..`, timeout: 120_000 },
    );
    const own = stdout.split('\n').filter((f) => f && !f.includes('node_modules'));
    expect(own.length).toBeGreaterThan(2);
    for (const file of own) expect(file).toMatch(/\/(client|src\/contracts)\/[^/]+\.ts$/);
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
