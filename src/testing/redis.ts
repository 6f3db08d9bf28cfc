import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

/** The Redis the unit specs (store suites) and the e2e specs run against. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let reachable: Promise<boolean> | undefined;

/** Whether Redis answers; under CI a missing server is a failure, never a skip. */
export function redisAvailable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await client.connect();
      await client.ping();
      return true;
    } catch (error) {
      if (process.env.CI)
        throw new Error(`Redis is required under CI but unreachable at ${TEST_REDIS_URL}: ${String(error)}`, { cause: error });
      console.warn(`Redis unreachable at ${TEST_REDIS_URL}; Redis tests are skipped (they fail under CI).`);
      return false;
    } finally {
      client.disconnect();
    }
  })();
  return reachable;
}

/** A key prefix no other test run uses, and a way to delete everything under it. */
export function testRedisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `rt-test:${process.pid}:${randomBytes(4).toString('hex')}`;
  return {
    prefix,
    cleanup: async () => {
      const client = new Redis(TEST_REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length) await client.del(...keys);
        } while (cursor !== '0');
      } finally {
        client.disconnect();
      }
    },
  };
}
