import Redis from 'ioredis';
import { type ConnectionStore } from '../src/realtime/connections/connection-store';
import { InMemoryConnectionStore } from '../src/realtime/connections/in-memory-connection-store';
import { RedisClusterMembership } from '../src/realtime/connections/redis-cluster-membership';
import { RedisConnectionStore } from '../src/realtime/connections/redis-connection-store';
import { redisAvailable, TEST_REDIS_URL, testRedisPrefix } from './support/redis';

type Kind = 'in-memory' | 'redis';

/** Both implementations of ConnectionStore must pass the same suite. */
describe.each<Kind>(['in-memory', 'redis'])('ConnectionStore (%s)', (kind) => {
  let store: ConnectionStore;
  let redis: Redis | undefined;
  let cleanup = async () => undefined as void;
  let skip = false;

  beforeEach(async () => {
    if (kind === 'in-memory') {
      store = new InMemoryConnectionStore();
      return;
    }
    if (!(await redisAvailable())) {
      skip = true;
      return;
    }
    const prefix = testRedisPrefix();
    cleanup = prefix.cleanup;
    redis = new Redis(TEST_REDIS_URL);
    store = new RedisConnectionStore(redis, prefix.prefix, 'instance-a');
  });
  afterEach(async () => {
    redis?.disconnect();
    await cleanup();
  });

  it('counts sockets per user and per session', async () => {
    if (skip) return;
    expect(await store.add({ socketId: 's1', userId: 'u1', sessionId: 'x' })).toEqual({ user: 1, session: 1 });
    expect(await store.add({ socketId: 's2', userId: 'u1', sessionId: 'x' })).toEqual({ user: 2, session: 2 });
    expect(await store.add({ socketId: 's3', userId: 'u1', sessionId: 'y' })).toEqual({ user: 3, session: 1 });
    expect(await store.add({ socketId: 's4', userId: 'u2', sessionId: 'z' })).toEqual({ user: 1, session: 1 });
    expect(await store.countByUser(['u1', 'u2', 'u3'])).toEqual(
      new Map([
        ['u1', 3],
        ['u2', 1],
      ]),
    );
    expect(await store.countBySession('x')).toBe(2);
    expect(await store.onlineUserCount()).toBe(2);
  });

  it('reports what remains on removal and forgets users with no sockets', async () => {
    if (skip) return;
    await store.add({ socketId: 's1', userId: 'u1', sessionId: 'x' });
    await store.add({ socketId: 's2', userId: 'u1', sessionId: 'y' });
    expect(await store.remove({ socketId: 's1', userId: 'u1', sessionId: 'x' })).toEqual({ user: 1, session: 0 });
    expect(await store.remove({ socketId: 's1', userId: 'u1', sessionId: 'x' })).toEqual({ user: 1, session: 0 });
    expect(await store.remove({ socketId: 's2', userId: 'u1', sessionId: 'y' })).toEqual({ user: 0, session: 0 });
    expect(await store.onlineUserCount()).toBe(0);
    expect(await store.countByUser(['u1'])).toEqual(new Map());
  });

  it('caps sockets per user atomically: 25 concurrent adds with a cap of 5 add exactly 5', async () => {
    if (skip) return;
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => store.addWithin({ socketId: `s${i}`, userId: 'u1', sessionId: `x${i % 3}` }, 5)),
    );
    const added = results.filter((r) => r !== null);
    expect(added).toHaveLength(5);
    // Each admitted add saw a distinct count: 1..5.
    expect(added.map((c) => c.user).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await store.countByUser(['u1'])).toEqual(new Map([['u1', 5]]));
    // A refused add leaves nothing behind, in any index.
    const sessions = await Promise.all(['x0', 'x1', 'x2'].map((x) => store.countBySession(x)));
    expect(sessions.reduce((a, b) => a + b, 0)).toBe(5);
    // Other users are not affected; a socket already in is not refused again; a freed place is reusable.
    expect(await store.addWithin({ socketId: 'o1', userId: 'u2', sessionId: 'y' }, 5)).toEqual({ user: 1, session: 1 });
    const first = Array.from({ length: 25 }, (_, i) => `s${i}`).find((_, i) => results[i] !== null)!;
    expect(await store.addWithin({ socketId: first, userId: 'u1', sessionId: 'x0' }, 5)).not.toBeNull();
    expect(await store.addWithin({ socketId: 'late', userId: 'u1', sessionId: 'x0' }, 5)).toBeNull();
    await store.remove({ socketId: first, userId: 'u1', sessionId: `x${Number(first.slice(1)) % 3}` });
    expect(await store.addWithin({ socketId: 'late', userId: 'u1', sessionId: 'x0' }, 5)).toMatchObject({ user: 5 });
    expect(await store.onlineUserCount()).toBe(2);
  });

  if (kind === 'redis') {
    it('holds the cap across instances sharing the registry', async () => {
      if (skip) return;
      const other = new RedisConnectionStore(redis!, (store as unknown as { prefix: string }).prefix, 'instance-b');
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) => (i % 2 ? store : other).addWithin({ socketId: `s${i}`, userId: 'u1', sessionId: `x${i}` }, 5)),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(5);
      expect(await other.countByUser(['u1'])).toEqual(new Map([['u1', 5]]));
    });

    it('hands the sockets of an instance that stopped heartbeating to exactly one survivor', async () => {
      if (skip) return;
      const prefix = testRedisPrefix();
      const client = new Redis(TEST_REDIS_URL);
      try {
        const instance = (id: string) => {
          const registry = new RedisConnectionStore(client, prefix.prefix, id);
          return { registry, membership: new RedisClusterMembership(client, prefix.prefix, id, registry) };
        };
        const [dying, survivorA, survivorB] = [instance('dying'), instance('a'), instance('b')];
        // A lease long enough that a busy machine cannot let it lapse before the "still alive" check.
        await dying.membership.heartbeat(1000);
        await survivorA.membership.heartbeat(60_000);
        await survivorB.membership.heartbeat(60_000);
        await dying.registry.add({ socketId: 'd1', userId: 'u1', sessionId: 'x' });
        await dying.registry.add({ socketId: 'd2', userId: 'u2', sessionId: 'y' });
        await survivorA.registry.add({ socketId: 'a1', userId: 'u1', sessionId: 'z' });

        expect(await survivorA.membership.claimOrphans()).toEqual([]); // still alive
        await new Promise((r) => setTimeout(r, 1100));
        const [claimedA, claimedB] = await Promise.all([survivorA.membership.claimOrphans(), survivorB.membership.claimOrphans()]);
        const claimed = [...claimedA, ...claimedB];
        expect(claimedA.length === 0 || claimedB.length === 0).toBe(true);
        expect(claimed.map((c) => c.entry.socketId).sort()).toEqual(['d1', 'd2']);
        expect(claimed.find((c) => c.entry.socketId === 'd1')?.counts).toEqual({ user: 1, session: 0 });
        expect(claimed.find((c) => c.entry.socketId === 'd2')?.counts).toEqual({ user: 0, session: 0 });
        expect(await survivorA.registry.onlineUserCount()).toBe(1);
        expect(await survivorA.registry.countByUser(['u1', 'u2'])).toEqual(new Map([['u1', 1]]));
      } finally {
        client.disconnect();
        await prefix.cleanup();
      }
    });
  }
});
