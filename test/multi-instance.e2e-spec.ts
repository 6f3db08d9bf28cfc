import { CONNECTION_STORE, type ConnectionStore } from '../src/realtime/connections/connection-store';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, registerUser, settle } from './support/clients';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { redisAvailable, testRedisPrefix } from './support/redis';

/**
 * Two instances of one deployment in this process, sharing a database and a Redis prefix.
 * (Separate server processes, kill -9 and SIGTERM are covered by the process-level suite.)
 */
describe('two instances sharing Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let database: TestDatabase;
  let redis: ReturnType<typeof testRedisPrefix>;
  const clients = new ClientTracker(() => a.url);
  let skip = false;

  beforeAll(async () => {
    if (!(await redisAvailable())) {
      skip = true;
      return;
    }
    database = await createTestDatabase();
    redis = testRedisPrefix();
    const shared = { database: { url: database.url, drop: async () => undefined }, redisPrefix: redis.prefix };
    a = await startApp(shared);
    b = await startApp(shared);
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
    await redis?.cleanup();
  });

  it('accepts a token issued by the other instance and resumes its sessions', async () => {
    if (skip) return;
    const { token } = await registerUser(a.url);
    const onA = await clients.connect(token);
    const { sessionId } = await onA.waitFor('session');
    onA.close();
    const onB = await clients.at(b.url).connect(token, { sessionId });
    expect((await onB.waitFor('session')).sessionId).toBe(sessionId);
  });

  it('shares the connection registry: each instance counts the sockets of both', async () => {
    if (skip) return;
    const alice = await registerUser(a.url);
    const tabs = [await clients.connect(alice.token), await clients.at(b.url).connect(alice.token)];
    await settle(100);
    for (const app of [a, b]) {
      const store = app.app.get<ConnectionStore>(CONNECTION_STORE);
      expect(await store.countByUser([alice.user.id])).toEqual(new Map([[alice.user.id, 2]]));
    }
    tabs[0].close();
    await settle(100);
    expect(await b.app.get<ConnectionStore>(CONNECTION_STORE).countByUser([alice.user.id])).toEqual(new Map([[alice.user.id, 1]]));
  });

  it('reaches sockets on the other instance through the Redis adapter', async () => {
    if (skip) return;
    const { user, token } = await registerUser(a.url);
    const onB = await clients.at(b.url).connect(token);
    const { RealtimeService } = await import('../src/realtime/realtime.service');
    a.app.get(RealtimeService).emit(`user:${user.id}`, 'session:expired', { reason: 'token_expired' });
    expect(await onB.waitFor('session:expired')).toEqual({ reason: 'token_expired' });
  });

  it('shares modal locks: of two users racing on two instances exactly one wins, the other gets CONFLICT with the holder; watchers anywhere hear it once; the fencing token never goes back', async () => {
    if (skip) return;
    const [alice, bob, carol] = await Promise.all([registerUser(a.url), registerUser(b.url), registerUser(b.url)]);
    const onA = await clients.connect(alice.token);
    const onB = await clients.at(b.url).connect(bob.token);
    const watcher = await clients.at(b.url).connect(carol.token);
    const modalId = `race-${alice.user.id}`;
    await watcher.ok('modal:watch', { prefixes: ['race-'] });
    const [first, second] = await Promise.all([
      onA.request('modal:open', { modalId, exclusive: true }),
      onB.request('modal:open', { modalId, exclusive: true }),
    ]);
    const won = first.ok ? first.data : second.ok ? second.data : undefined;
    const lost = first.ok ? second : first;
    expect([first.ok, second.ok].sort()).toEqual([false, true]);
    expect(lost).toMatchObject({ ok: false, error: { code: 'CONFLICT', reason: 'MODAL_HELD', details: { holder: won!.viewers[0] } } });
    const tokens = [won!.lock!.fencingToken];

    // Held, released and taken again on alternating instances: every new holder's token is greater.
    const [winner, loser] = first.ok ? [onA, onB] : [onB, onA];
    await winner.ok('modal:close', { modalId });
    for (const socket of [loser, winner, loser]) {
      tokens.push((await socket.ok('modal:open', { modalId, exclusive: true })).lock!.fencingToken);
      await socket.ok('modal:close', { modalId });
    }
    expect([...tokens].sort((x, y) => x - y)).toEqual(tokens);
    expect(new Set(tokens).size).toBe(tokens.length);
    await settle(200);
    const locks = watcher.all('modal:lock').filter((e) => e.modalId === modalId && e.holder);
    expect(locks.map((e) => e.fencingToken)).toEqual(tokens);
  });
});
