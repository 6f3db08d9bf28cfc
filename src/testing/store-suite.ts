import Redis from 'ioredis';
import { redisAvailable, TEST_REDIS_URL, testRedisPrefix } from './redis';

export type StoreKind = 'in-memory' | 'redis';

export interface StoreSuite<S> {
  kind: StoreKind;
  /** A fresh, empty store; the Redis one on a key prefix of its own, removed after the test. */
  newStore(): S;
  /** Jest's `it`, except that it passes without running when Redis is unreachable outside CI. */
  it(title: string, test: () => Promise<void>): void;
}

/**
 * Runs one suite against both implementations of a store interface: the in-process one and the
 * Redis one on a real Redis (STYLE: both pass the same tests). Under CI an unreachable Redis
 * fails the suite (see redisAvailable); elsewhere its half is skipped with a warning.
 */
export function describeStore<S>(
  name: string,
  make: { inMemory: () => S; redis: (client: Redis, prefix: string) => S },
  body: (suite: StoreSuite<S>) => void,
): void {
  describe.each(['in-memory', 'redis'] as const)(`${name} (%s)`, (kind) => {
    let client: Redis | undefined;
    let prefixes: ReturnType<typeof testRedisPrefix>[] = [];
    let skip = false;

    beforeAll(async () => {
      if (kind === 'in-memory') return;
      if (!(await redisAvailable())) skip = true;
      else client = new Redis(TEST_REDIS_URL);
    });
    afterEach(async () => {
      await Promise.all(prefixes.map((p) => p.cleanup()));
      prefixes = [];
    });
    afterAll(() => client?.disconnect());

    body({
      kind,
      newStore: () => {
        if (kind === 'in-memory') return make.inMemory();
        const prefix = testRedisPrefix();
        prefixes.push(prefix);
        return make.redis(client!, prefix.prefix);
      },
      it: (title, test) =>
        it(title, async () => {
          if (!skip) await test();
        }),
    });
  });
}
