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
});
