import { randomBytes } from 'node:crypto';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, registerUser, type TestClient, type TestUser } from './support/clients';
import { createTestDatabase } from './support/databases';
import { E2E_WITH_REDIS, redisAvailable, testRedisPrefix } from './support/redis';

/** Per-user, per-socket and per-session caps: FORBIDDEN with details.limit, nothing half-done. */
describe('caps on rooms, presence subscriptions and open modals', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({ env: { MAX_ROOMS_PER_USER: '2', MAX_PRESENCE_SUBSCRIPTIONS: '3', MAX_OPEN_MODALS: '2' } });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t.close());

  const signIn = async () => {
    const user = await registerUser(t.url);
    return { ...user, client: await clients.connect(user.token) };
  };

  it('refuses creating or joining a room beyond MAX_ROOMS_PER_USER', async () => {
    const alice = await signIn();
    const bob = await signIn();
    await alice.client.ok('room:create', { name: 'one' });
    await alice.client.ok('room:create', { name: 'two' });
    const third = await alice.client.request('room:create', { name: 'three' });
    expect(third).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 2 } } });
    const bobsRoom = await bob.client.ok('room:create', { name: 'bobs' });
    const join = await alice.client.request('room:join', { roomId: bobsRoom.id });
    expect(join).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 2 } } });
    expect((await alice.client.ok('room:list', { scope: 'joined' })).rooms.map((r) => r.name).sort()).toEqual(['one', 'two']);
    expect((await bob.client.ok('room:join', { roomId: bobsRoom.id })).room.memberCount).toBe(1);
  });

  it('refuses presence subscriptions beyond MAX_PRESENCE_SUBSCRIPTIONS per socket, and subscribes none of that call', async () => {
    const watcher = await signIn();
    const users = await Promise.all([1, 2, 3, 4].map(() => registerUser(t.url)));
    await watcher.client.ok('presence:subscribe', { userIds: users.slice(0, 2).map((u) => u.user.id) });
    const over = await watcher.client.request('presence:subscribe', { userIds: users.slice(2).map((u) => u.user.id) });
    expect(over).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 3 } } });
    // Re-subscribing to what it has costs nothing; one more still fits.
    await watcher.client.ok('presence:subscribe', { userIds: [users[0].user.id, users[2].user.id] });
    await clients.connect(users[3].token);
    await new Promise((r) => setTimeout(r, 200));
    expect(watcher.client.all('presence:update').filter((p) => p.userId === users[3].user.id)).toEqual([]);
  });

  it('refuses opening more than MAX_OPEN_MODALS in one session, and announces nothing for it', async () => {
    const alice = await signIn();
    const bob = await signIn();
    await bob.client.ok('modal:watch', { modalIds: ['cap-b', 'cap-c'] });
    await alice.client.ok('modal:open', { modalId: 'cap-a' });
    await alice.client.ok('modal:open', { modalId: 'cap-b' });
    const third = await alice.client.request('modal:open', { modalId: 'cap-c' });
    expect(third).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 2 } } });
    await bob.client.waitFor('modal:opened', (e) => e.modalId === 'cap-b');
    await new Promise((r) => setTimeout(r, 150));
    expect(bob.client.all('modal:opened').filter((e) => e.modalId === 'cap-c')).toEqual([]);
    expect((await bob.client.ok('modal:list', { modalId: 'cap-c' })).modals).toEqual([]);
  });
});

/**
 * Modal caps decided in the store's atomic open: many sockets and sessions of one user firing at
 * once (on one instance, and across two instances sharing Redis) never get past them, and each
 * user's caps count only their own opens.
 */
describe('modal caps under concurrency, per session and per user', () => {
  const CAPS = { MAX_OPEN_MODALS: '3', MAX_OPEN_MODALS_PER_USER: '5', MAX_EXCLUSIVE_MODALS_PER_USER: '2' };
  const env = { ...CAPS, RATE_LIMIT_EVENTS_PER_SEC: '10000', RATE_LIMIT_BURST: '10000' };
  const clients = new ClientTracker();
  afterEach(() => clients.closeAll());

  type Deployment = { urls: string[]; close(): Promise<void> };
  const deployments: [string, () => Promise<Deployment | undefined>][] = [
    [
      E2E_WITH_REDIS ? 'one instance (Redis store)' : 'one instance (in-memory store)',
      async () => {
        const app = await startApp({ env });
        return { urls: [app.url], close: () => app.close() };
      },
    ],
    [
      'two instances sharing Redis',
      async () => {
        if (!(await redisAvailable())) return undefined;
        const database = await createTestDatabase();
        const redis = testRedisPrefix();
        const shared = { env, database: { url: database.url, drop: async () => undefined }, redisPrefix: redis.prefix };
        const apps = [await startApp(shared), await startApp(shared)];
        return {
          urls: apps.map((a) => a.url),
          close: async () => {
            for (const app of apps) await app.stop();
            await database.drop();
            await redis.cleanup();
          },
        };
      },
    ],
  ];

  describe.each(deployments)('%s', (_name, deploy) => {
    let d: Deployment | undefined;
    beforeAll(async () => {
      d = await deploy();
    });
    afterAll(() => d?.close());

    /** `sessions` sessions of one new user, `socketsPerSession` sockets each (resuming it), spread over the instances. */
    async function tabs(sessions: number, socketsPerSession: number): Promise<{ user: TestUser; sockets: TestClient[] }> {
      const urls = d!.urls;
      const user = await registerUser(urls[0]);
      const sockets: TestClient[] = [];
      for (let s = 0; s < sessions; s++) {
        const first = await clients.at(urls[sockets.length % urls.length]).connect(user.token);
        sockets.push(first);
        const { sessionId } = await first.waitFor('session');
        for (let i = 1; i < socketsPerSession; i++)
          sockets.push(await clients.at(urls[sockets.length % urls.length]).connect(user.token, { sessionId }));
      }
      return { user, sockets };
    }

    /** Fires every open at once, round-robin over the sockets; resolves with the acks. */
    const race = (sockets: TestClient[], modalIds: string[], exclusive: boolean) =>
      Promise.all(modalIds.map((modalId, i) => sockets[i % sockets.length].request('modal:open', { modalId, exclusive })));
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${randomBytes(3).toString('hex')}-${i}`);
    const viewersOf = async (client: TestClient, userId: string) =>
      (await client.ok('modal:list', {})).modals.flatMap((m) => m.viewers).filter((v) => v.userId === userId);

    it('holds MAX_OPEN_MODALS for 4 sockets of one session racing 20 opens', async () => {
      if (!d) return;
      const { user, sockets } = await tabs(1, 4);
      const acks = await race(sockets, ids('same-session', 20), false);
      expect(acks.filter((a) => a.ok)).toHaveLength(3);
      for (const ack of acks.filter((a) => !a.ok))
        expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 3 } } });
      expect(await viewersOf(sockets[0], user.user.id)).toHaveLength(3);
    });

    it('holds MAX_OPEN_MODALS_PER_USER across sessions: 3 sessions x 3 sockets racing 24 opens get 5', async () => {
      if (!d) return;
      const { user, sockets } = await tabs(3, 3);
      const acks = await race(sockets, ids('per-user', 24), false);
      expect(acks.filter((a) => a.ok)).toHaveLength(5);
      // A session that filled up first is refused at its own cap (3), the rest at the user's (5).
      const limits = acks.filter((a) => !a.ok).map((a) => (a.ok ? 0 : (a.error.details as { limit: number }).limit));
      expect(limits).toContain(5);
      expect(limits.every((l) => l === 3 || l === 5)).toBe(true);
      const viewers = await viewersOf(sockets[0], user.user.id);
      expect(viewers).toHaveLength(5);
      const perSession = new Map<string, number>();
      for (const v of viewers) perSession.set(v.sessionId, (perSession.get(v.sessionId) ?? 0) + 1);
      expect(Math.max(...perSession.values())).toBeLessThanOrEqual(3);
    });

    it('holds MAX_EXCLUSIVE_MODALS_PER_USER: 2 sessions x 3 sockets racing 21 exclusive opens get 2', async () => {
      if (!d) return;
      const { user, sockets } = await tabs(2, 3);
      const acks = await race(sockets, ids('exclusive', 21), true);
      expect(acks.filter((a) => a.ok)).toHaveLength(2);
      for (const ack of acks.filter((a) => !a.ok))
        expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 2 } } });
      const viewers = await viewersOf(sockets[0], user.user.id);
      expect(viewers.map((v) => v.exclusive)).toEqual([true, true]);
      // Shared opens still fit beside them, up to the per-user cap.
      const sharedIds = ids('shared', 6);
      const shared = await race(sockets, sharedIds, false);
      expect(shared.filter((a) => a.ok)).toHaveLength(3);
      // Turning one of those exclusive is refused at the exclusive cap, and leaves it shared.
      const i = shared.findIndex((a) => a.ok);
      expect(await sockets[i % sockets.length].request('modal:open', { modalId: sharedIds[i], exclusive: true })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN', details: { limit: 2 } },
      });
      expect((await viewersOf(sockets[0], user.user.id)).filter((v) => v.exclusive)).toHaveLength(2);
    });

    it("counts only a user's own opens: another user filling their caps, on the same modals, takes nothing", async () => {
      if (!d) return;
      const filler = await tabs(2, 2);
      const victim = await tabs(2, 1);
      const shared = ids('both', 6);
      expect((await race(filler.sockets, shared, false)).filter((a) => a.ok)).toHaveLength(5);
      expect((await race(filler.sockets, ids('more', 10), true)).filter((a) => a.ok)).toHaveLength(0);
      // The victim opens the same five modals beside the filler, and still has room for exclusives of their own.
      const victimSockets = victim.sockets;
      const acks = await race(victimSockets, shared.slice(0, 3), false);
      expect(acks.every((a) => a.ok)).toBe(true);
      const mine = await race(victimSockets, ids('mine', 2), true);
      expect(mine.every((a) => a.ok)).toBe(true);
      expect(await viewersOf(victimSockets[0], victim.user.user.id)).toHaveLength(5);
    });
  });
});
