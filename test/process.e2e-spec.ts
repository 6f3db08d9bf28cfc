import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { UserWithPresence } from '../src/contracts';
import { TEST_JWT_SECRET } from './support/app';
import { connect, registerUser, type TestClient, type TestUser } from './support/clients';
import { Cluster } from './support/cluster';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { freePort } from './support/fault-servers';
import { pollUntil, readLastSeen, startServerProcess, waitForHttp, withTimeout, type ServerProcess } from './support/processes';
import { E2E_WITH_REDIS, TEST_REDIS_URL, testRedisPrefix } from './support/redis';

describe('the server process (node dist/main.js)', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'realtime-proc-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('refuses to start with bad configuration and names every bad variable', async () => {
    const server = startServerProcess({ PORT: 'http', DATABASE_URL: 'mysql://db', PRESENCE_GRACE_MS: '-5' }, cwd);
    const { code } = await withTimeout(server.exited, 15000, 'exit');
    expect(code).toBe(1);
    for (const name of ['PORT', 'DATABASE_URL', 'PRESENCE_GRACE_MS']) expect(server.output()).toContain(name);
    expect(server.output()).not.toMatch(/at .*\(.*\.js:\d+/); // a message, not a stack trace
  });

  it('refuses to start in production without JWT_SECRET', async () => {
    const server = startServerProcess({ NODE_ENV: 'production', CORS_ORIGINS: '*', PORT: '0' }, cwd);
    const { code } = await withTimeout(server.exited, 15000, 'exit');
    expect(code).toBe(1);
    expect(server.output()).toContain('JWT_SECRET is required');
  });

  it('starts on the embedded SQLite default with a loud dev-secret warning, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const server = startServerProcess({ PORT: String(port) }, cwd);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`);
      expect(existsSync(join(cwd, 'data', 'realtime.db'))).toBe(true);
      expect(server.output()).toContain('JWT_SECRET is not set');
      server.child.kill('SIGTERM');
      const { code } = await withTimeout(server.exited, 10000, 'exit after SIGTERM');
      expect(code).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});

/**
 * Last seen survives the process (Hardening II §9): a user online when the instance stops keeps a
 * `lastSeenAt` after the restart, whether it stopped cleanly (SIGTERM: written before the database
 * closes) or was killed (kill -9: the periodic write, every LAST_SEEN_FLUSH_MS, is what remains).
 * On TEST_DATABASE / TEST_REDIS as the rest of the e2e suite.
 */
describe('last seen across a restart of the server process', () => {
  let cwd: string;
  let database: TestDatabase;
  let redis: ReturnType<typeof testRedisPrefix> | undefined;
  const running: ServerProcess[] = [];

  beforeEach(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'realtime-last-seen-'));
    database = await createTestDatabase();
    redis = E2E_WITH_REDIS ? testRedisPrefix() : undefined;
  });
  afterEach(async () => {
    for (const proc of running.splice(0)) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
      await withTimeout(proc.exited, 5000, 'exit').catch(() => undefined);
    }
    await database.drop();
    await redis?.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  async function serve(env: Record<string, string> = {}): Promise<{ url: string; proc: ServerProcess }> {
    const port = await freePort();
    const proc = startServerProcess(
      {
        NODE_ENV: 'test',
        PORT: String(port),
        JWT_SECRET: TEST_JWT_SECRET,
        DATABASE_URL: database.url,
        LOG_LEVEL: 'warn',
        PRESENCE_GRACE_MS: '1000',
        PRESENCE_TTL_MS: '2000',
        ...(redis ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix } : {}),
        ...env,
      },
      cwd,
    );
    running.push(proc);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/health`, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${proc.output()}`);
    });
    return { url, proc };
  }

  /** A user with one socket, online (as they see themselves). */
  async function online(url: string): Promise<{ user: TestUser; client: TestClient }> {
    const user = await registerUser(url);
    const client = await connect(url, user.token);
    await pollUntil(
      async () => (await client.ok('presence:list', { userIds: [user.user.id] })).users[0]?.connections ?? 0,
      (n) => n > 0,
      5000,
      'online',
    );
    return { user, client };
  }

  /** `presence` of `who` on GET /users, once it shows offline with a last seen (at once on one instance; Redis-backed presence waits for the sweep). */
  async function lastSeenAfterRestart(url: string, viewer: TestUser, who: TestUser): Promise<string> {
    const presence = await pollUntil(
      async () => {
        const res = await request(url).get(`/users?search=${who.user.username}`).set('authorization', `Bearer ${viewer.token}`).expect(200);
        return (res.body as { users: UserWithPresence[] }).users.find((u) => u.id === who.user.id)?.presence;
      },
      (p) => p?.status === 'offline' && p.lastSeenAt !== undefined,
      20_000,
      'offline with lastSeenAt',
    );
    return presence!.lastSeenAt!;
  }

  it('SIGTERM: a user online at shutdown has lastSeenAt after the restart', async () => {
    const first = await serve();
    const viewer = await registerUser(first.url);
    const { user: alice, client } = await online(first.url);
    const connectedAt = Date.now();

    first.proc.child.kill('SIGTERM');
    expect((await withTimeout(first.proc.exited, 15_000, 'exit after SIGTERM')).code).toBe(0);
    const stoppedAt = Date.now();
    client.close();
    // Written during the shutdown, before the database closed.
    const written = await readLastSeen(database.url, alice.user.id);
    expect(written).toEqual(expect.any(String));
    expect(Date.parse(written!)).toBeGreaterThanOrEqual(connectedAt - 1000);
    expect(Date.parse(written!)).toBeLessThanOrEqual(stoppedAt);

    const second = await serve();
    const lastSeenAt = await lastSeenAfterRestart(second.url, viewer, alice);
    expect(Date.parse(lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(written!));
    if (!redis) expect(lastSeenAt).toBe(written);
  });

  it('kill -9: the periodic write (LAST_SEEN_FLUSH_MS) is the lastSeenAt after the restart, at most one interval old', async () => {
    const FLUSH_MS = 1000;
    const first = await serve({ LAST_SEEN_FLUSH_MS: String(FLUSH_MS) });
    const viewer = await registerUser(first.url);
    const { user: alice, client } = await online(first.url);

    // Written while online, and again one interval later: periodic, not once.
    const firstWrite = await pollUntil(
      () => readLastSeen(database.url, alice.user.id),
      (v) => v !== null,
      10_000,
      'first write',
    );
    const secondWrite = await pollUntil(
      () => readLastSeen(database.url, alice.user.id),
      (v) => v !== firstWrite,
      10_000,
      'second write',
    );
    expect(Date.parse(secondWrite!)).toBeGreaterThan(Date.parse(firstWrite!));

    first.proc.child.kill('SIGKILL');
    await withTimeout(first.proc.exited, 10_000, 'exit after SIGKILL');
    const killedAt = Date.now();
    client.close();
    const written = (await readLastSeen(database.url, alice.user.id))!;
    // The bound: the last write is at most one interval (plus a busy machine's slack) before the crash.
    expect(killedAt - Date.parse(written)).toBeLessThan(FLUSH_MS + 2000);

    const second = await serve({ LAST_SEEN_FLUSH_MS: String(FLUSH_MS) });
    const lastSeenAt = await lastSeenAfterRestart(second.url, viewer, alice);
    if (redis) {
      // With Redis the restarted instance claims the dead one's sockets and turns them offline at that moment.
      expect(Date.parse(lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(written));
    } else {
      expect(lastSeenAt).toBe(written);
    }
  });
});

/** Several instances: the survivor that claims a killed instance's sockets writes their last seen as it turns them offline. */
describe('last seen when a survivor claims a killed instance (two processes, Redis, PostgreSQL)', () => {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await Cluster.start(2, { PRESENCE_TTL_MS: '2000', PRESENCE_GRACE_MS: '1000' });
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('turns the dead instance’s user offline with lastSeenAt, on the wire and on GET /users', async () => {
    if (!cluster) return;
    const [survivor, victim] = cluster.instances;
    const [watcher, bob] = await Promise.all([registerUser(survivor.url), registerUser(victim.url)]);
    const w = await connect(survivor.url, watcher.token);
    const b = await connect(victim.url, bob.token);
    try {
      await w.ok('presence:subscribe', { userIds: [bob.user.id] });
      await w.waitFor('presence:update', (p) => p.userId === bob.user.id && p.status === 'online', 5000).catch(() => undefined);
      const killedAt = Date.now();
      await cluster.signal(victim, 'SIGKILL');
      const offline = await w.waitFor('presence:update', (p) => p.userId === bob.user.id && p.status === 'offline', 15_000);
      expect(offline.lastSeenAt).toEqual(expect.any(String));
      expect(Date.parse(offline.lastSeenAt!)).toBeGreaterThanOrEqual(killedAt - 2000);
      const res = await request(survivor.url)
        .get(`/users?search=${bob.user.username}`)
        .set('authorization', `Bearer ${watcher.token}`)
        .expect(200);
      const listed = (res.body as { users: UserWithPresence[] }).users.find((u) => u.id === bob.user.id);
      expect(listed?.presence).toMatchObject({ status: 'offline', lastSeenAt: offline.lastSeenAt });
    } finally {
      w.close();
      b.close();
    }
  });
});
