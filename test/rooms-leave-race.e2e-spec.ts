import { startApp, UNLIMITED_RATE, type TestApp } from './support/app';
import { ClientTracker, settle, type TestClient } from './support/clients';
import { createRoom, send } from './support/chat';
import { createTestDatabase, E2E_ENGINE, type TestDatabase } from './support/databases';
import { redisAvailable, testRedisPrefix } from './support/redis';
import { REDIS, type RedisConnections } from '../src/redis/redis.providers';

const ROUNDS = 25;

/**
 * Leaving is airtight: a tab of the leaving (or kicked) user that connects at that very moment,
 * on this instance or another one, never receives a later message of the room. On PostgreSQL
 * with Redis the suite runs two instances of one deployment; otherwise one.
 */
describe('rooms: leaving races connecting tabs', () => {
  let apps: TestApp[] = [];
  let database: TestDatabase | undefined;
  let redis: ReturnType<typeof testRedisPrefix> | undefined;
  const pool = new ClientTracker(() => apps[0].url);
  // The race sends many events per user in a burst: neither the per-socket nor the per-user budget may refuse them.
  const RACE_RATE = { ...UNLIMITED_RATE, RATE_LIMIT_USER_EVENTS_PER_SEC: '100000', RATE_LIMIT_USER_BURST: '100000' };
  const two = () => apps.length === 2;

  beforeAll(async () => {
    if (E2E_ENGINE === 'postgres' && (await redisAvailable())) {
      database = await createTestDatabase();
      redis = testRedisPrefix();
      const shared = { database: { url: database.url, drop: async () => undefined }, redisPrefix: redis.prefix, env: RACE_RATE };
      apps = [await startApp(shared), await startApp(shared)];
    } else {
      apps = [await startApp({ env: RACE_RATE })];
    }
  });
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await database?.drop();
    await redis?.cleanup();
  });

  it(`no tab of a user who leaves or is kicked receives a later message, ${ROUNDS} rounds per instance`, async () => {
    const owner = await pool.user();
    const victim = await pool.user(0);
    const witness = await pool.user(0);
    const witnesses = await Promise.all(apps.map((app) => pool.at(app.url).connect(witness.token)));
    const room = await createRoom(owner.tabs[0], 'race', { members: [victim.user.id, witness.user.id] });
    const victimTabs: TestClient[] = [];
    let leaks = 0;
    for (let round = 0; round < ROUNDS * apps.length; round += 1) {
      const app = apps[round % apps.length];
      const actor = await pool.at(apps[(round + 1) % apps.length].url).connect(victim.token);
      const kick = round % 2 === 1;
      // The new tab connects while its user leaves (or is kicked), on the same or the other instance;
      // the leave starts a little later each round, so it lands in every phase of the handshake.
      const [tab] = await Promise.all([
        pool.at(app.url).connect(victim.token),
        settle((round * 3) % 40).then(async () => {
          if (kick) await owner.tabs[0].ok('room:kick', { roomId: room.id, userId: victim.user.id });
          else await actor.ok('room:leave', { roomId: room.id });
        }),
      ]);
      victimTabs.push(tab, actor);
      const after = await send(owner.tabs[0], { roomId: room.id, content: `after ${round}` });
      await Promise.all(witnesses.map((w) => w.waitFor('message:new', (m) => m.id === after.id)));
      await settle(20);
      leaks += victimTabs.filter((t) => t.all('message:new').some((m) => m.id === after.id)).length;
      // Back in for the next round; the tabs of this round are closed (the user's sockets stay bounded).
      tab.close();
      actor.close();
      await witnesses[0].ok('room:invite', { roomId: room.id, userId: victim.user.id });
      const rejoin = await pool.at(app.url).connect(victim.token);
      await rejoin.ok('room:join', { roomId: room.id });
      rejoin.close();
    }
    expect(leaks).toBe(0);
    expect((await owner.tabs[0].ok('room:members', { roomId: room.id })).members.map((m) => m.userId)).toContain(victim.user.id);
  });

  it.each(['leave', 'kick'] as const)(
    'a %s is acknowledged only once every instance moved the sockets: a message sent at the ack misses a tab whose instance hears Redis late',
    async (how) => {
      if (!two()) return;
      const owner = await pool.user();
      const victim = await pool.user(0);
      const room = await createRoom(owner.tabs[0], `lagging ${how}`, { members: [victim.user.id] });
      const [onA, onB] = await Promise.all(apps.map((app) => pool.at(app.url).connect(victim.token)));
      const ownerOnB = await pool.at(apps[1].url).connect(owner.token);
      // The change happens on the second instance; the first (the sender's, and a tab's that must
      // stop receiving) reads nothing from Redis for 300 ms, while local emits there go out at once.
      const subscriber = apps[0].app.get<symbol, RedisConnections>(REDIS).subscriber;
      subscriber.stream.pause();
      const resumed = settle(300).then(() => subscriber.stream.resume());
      try {
        if (how === 'kick') await ownerOnB.ok('room:kick', { roomId: room.id, userId: victim.user.id });
        else await onB.ok('room:leave', { roomId: room.id });
        const after = await send(owner.tabs[0], { roomId: room.id, content: `after the ${how}` });
        await resumed;
        await owner.tabs[0].ok('room:members', { roomId: room.id });
        await settle(50);
        expect([...onA.all('message:new'), ...onB.all('message:new')].map((m) => m.id)).not.toContain(after.id);
      } finally {
        await resumed;
      }
    },
  );

  it('typing expires 5 s after the last refresh when the refreshes arrive on different instances', async () => {
    if (!two()) return;
    const typist = await pool.user(0);
    const [onA, onB] = await Promise.all(apps.map((app) => pool.at(app.url).connect(typist.token)));
    const peer = await pool.user();
    const t0 = Date.now();
    await onA.ok('typing', { to: peer.user.id, isTyping: true });
    await settle(2500);
    await onB.ok('typing', { to: peer.user.id, isTyping: true });
    const refreshedAt = Date.now();
    // Past the first instance's expiry: it must not say false, since the refresh moved the deadline.
    await settle(Math.max(0, t0 + 5800 - Date.now()));
    expect(peer.tabs[0].all('typing').map((e) => e.isTyping)).toEqual([true, true]);
    const stop = await peer.tabs[0].waitFor('typing', (e) => !e.isTyping, 5000);
    expect(stop).toEqual({ conversationId: expect.any(String), userId: typist.user.id, isTyping: false });
    expect(Date.now() - refreshedAt).toBeGreaterThanOrEqual(4900);
    await settle(300);
    expect(peer.tabs[0].all('typing').filter((e) => !e.isTyping)).toHaveLength(1);
  });
});
