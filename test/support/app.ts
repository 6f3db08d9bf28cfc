import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory';
import { createTestDatabase, type TestDatabase } from './databases';
import { E2E_WITH_REDIS, TEST_REDIS_URL, testRedisPrefix } from './redis';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** Rate limits out of the way, for specs that send many events from one socket. */
export const UNLIMITED_RATE = { RATE_LIMIT_BURST: '100000', RATE_LIMIT_EVENTS_PER_SEC: '100000', RATE_LIMIT_DISCONNECT_AFTER: '100000' };

export interface TestApp {
  app: NestExpressApplication;
  /** http://127.0.0.1:<port> */
  url: string;
  databaseUrl: string;
  /** Stops the app; the database is kept so a test can start again on it (its own Redis prefix is not: pass `redisPrefix` to keep one). */
  stop(): Promise<void>;
  /** Stops the app and removes its database. */
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Start on this existing database (e.g. after a restart) instead of a fresh one. */
  database?: TestDatabase;
  /** Share this Redis key prefix with other apps (several instances of one deployment). */
  redisPrefix?: string;
}

/** Boots the real application through `createApp()` on an ephemeral port. */
export async function startApp(options: StartOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  // With TEST_REDIS=1 every app runs in multi-instance mode on its own key prefix.
  const ownRedis = E2E_WITH_REDIS && !options.redisPrefix ? testRedisPrefix() : undefined;
  const redisPrefix = options.redisPrefix ?? ownRedis?.prefix;
  const app = await createApp({
    env: {
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      PORT: '0',
      // Every test registers its users from 127.0.0.1; the throttle's own test sets it low.
      REGISTER_MAX_PER_IP: '1000000',
      ...(redisPrefix ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redisPrefix } : {}),
      ...options.env,
    },
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    // A prefix of its own is this app's alone (a restart gets a new one): its keys go with it.
    await ownRedis?.cleanup();
  };
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    databaseUrl: database.url,
    stop,
    close: async () => {
      await stop();
      await database.drop();
    },
  };
}

/** Two instances of one deployment (`b` is another app only in multi-instance mode) and how to stop both. */
export interface AppPair {
  a: TestApp;
  b: TestApp;
  close(): Promise<void>;
}

/**
 * With TEST_REDIS=1, two apps sharing one database and one Redis prefix, so a spec can act on one
 * instance and watch sockets on the other; otherwise one app under both names.
 */
export async function startPair(env: Record<string, string | undefined> = {}): Promise<AppPair> {
  if (!E2E_WITH_REDIS) {
    const app = await startApp({ env });
    return { a: app, b: app, close: () => app.close() };
  }
  const database = await createTestDatabase();
  const redis = testRedisPrefix();
  const shared = { database: { url: database.url, drop: async () => undefined }, redisPrefix: redis.prefix, env };
  const a = await startApp(shared);
  const b = await startApp(shared);
  return {
    a,
    b,
    close: async () => {
      await a.stop();
      await b.stop();
      await database.drop();
      await redis.cleanup();
    },
  };
}
