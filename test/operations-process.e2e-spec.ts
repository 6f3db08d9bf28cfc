import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_JWT_SECRET } from './support/app';
import { connect, connectError, registerUser } from './support/clients';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { freePort } from './support/fault-servers';
import { pollUntil, startServerProcess, waitForHttp, withTimeout, type ServerProcess } from './support/processes';
import { E2E_WITH_REDIS, TEST_REDIS_URL, testRedisPrefix } from './support/redis';

/** `node dist/main.js` as operators run it: start-up failures, logs, and the SIGTERM drain. */
describe('operations of the server process', () => {
  let cwd: string;
  const running: ServerProcess[] = [];
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'realtime-ops-'));
  });
  afterEach(async () => {
    for (const proc of running.splice(0)) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
      await withTimeout(proc.exited, 5000, 'exit').catch(() => undefined);
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  const start = (env: Record<string, string>) => {
    const proc = startServerProcess({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, ...env }, cwd);
    running.push(proc);
    return proc;
  };

  /** Exits non-zero with exactly one "failed to start" line, no stack trace, never claiming to be up. */
  async function expectOneStartupLine(proc: ServerProcess, pattern: RegExp): Promise<string> {
    const { code } = await withTimeout(proc.exited, 20_000, 'exit');
    expect(code).toBe(1);
    // 'exit' can come before the last of the piped output has been read.
    await pollUntil(
      async () => proc.output(),
      (out) => out.includes('failed to start'),
      5000,
      'the start-up line',
    ).catch(() => undefined);
    const lines = proc
      .output()
      .split('\n')
      .filter((l) => l.includes('failed to start'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(proc.output()).not.toMatch(/at .*\(.*\.js:\d+/);
    expect(proc.output()).not.toMatch(/successfully started|listening on/);
    return lines[0];
  }

  it('port in use: one line naming the port and what to do, exit 1', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const proc = start({ PORT: String(port), HOST: '127.0.0.1' });
      await expectOneStartupLine(proc, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\).*set PORT`));
    } finally {
      blocker.close();
    }
  });

  it('unreachable database: one line naming PostgreSQL and DATABASE_URL (without the password), exit 1', async () => {
    const port = await freePort();
    const proc = start({ PORT: '0', DATABASE_URL: `postgres://app:hunter2-secret@127.0.0.1:${port}/realtime` });
    const line = await expectOneStartupLine(
      proc,
      /cannot reach the database \(PostgreSQL at .*127\.0\.0\.1.*\): ECONNREFUSED; check DATABASE_URL/,
    );
    expect(proc.output()).not.toContain('hunter2-secret');
    expect(line).toContain('app:***@');
  });

  it('unreachable Redis: one line naming Redis and REDIS_URL, exit 1', async () => {
    const port = await freePort();
    const proc = start({ PORT: '0', REDIS_URL: `redis://127.0.0.1:${port}` });
    await expectOneStartupLine(proc, /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+.*ECONNREFUSED; check REDIS_URL/);
  });

  describe('running', () => {
    let database: TestDatabase;
    let redis: ReturnType<typeof testRedisPrefix> | undefined;
    beforeEach(async () => {
      database = await createTestDatabase();
      redis = E2E_WITH_REDIS ? testRedisPrefix() : undefined;
    });
    afterEach(async () => {
      await database.drop();
      await redis?.cleanup();
    });

    async function serve(env: Record<string, string> = {}): Promise<{ url: string; proc: ServerProcess }> {
      const port = await freePort();
      const proc = start({
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        LOG_FORMAT: 'json',
        ...(redis ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix } : {}),
        ...env,
      });
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(`${url}/health/live`, 30_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${proc.output()}`);
      });
      return { url, proc };
    }

    it('SIGTERM: ready answers 503 while the sockets are still connected, then the hand-over, exit 0', async () => {
      const { url, proc } = await serve({ DRAIN_DELAY_MS: '3000' });
      const alice = await registerUser(url);
      const client = await connect(url, alice.token);
      let closedAt = 0;
      client.socket.on('disconnect', () => (closedAt = Date.now()));
      try {
        proc.child.kill('SIGTERM');
        const status = await pollUntil(
          async () => (await fetch(`${url}/health/ready`)).status,
          (s) => s === 503,
          10_000,
          'ready 503',
        );
        expect(status).toBe(503);
        // Not ready, but alive and still holding its clients: the load balancer moves first.
        expect(closedAt).toBe(0);
        expect(client.socket.connected).toBe(true);
        expect((await fetch(`${url}/health/live`)).status).toBe(200);
        expect((await withTimeout(proc.exited, 20_000, 'exit after SIGTERM')).code).toBe(0);
        expect(closedAt).toBeGreaterThan(0);
        expect(proc.output()).toContain('SIGTERM: draining');
      } finally {
        client.close();
      }
    });

    it('logs: compact request lines without query secrets or headers, probes at debug, refused handshakes with the reason but never the token', async () => {
      const { url, proc } = await serve({ LOG_LEVEL: 'info' });
      await fetch(`${url}/health/ready`);
      await fetch(`${url}/health/live`);
      await fetch(`${url}/users?search=x&access_token=query-secret-123`, { headers: { authorization: 'Bearer header-secret-456' } });
      const bad = 'handshake-secret-token-789';
      expect((await connectError(url, { auth: { token: bad } })).data?.code).toBe('UNAUTHORIZED');
      const lines = await pollUntil(
        async () => proc.output().split('\n'),
        (all) => all.some((l) => l.includes('handshake refused')) && all.some((l) => l.includes('GET /users')),
        10_000,
        'log lines',
      );
      const request = JSON.parse(lines.find((l) => l.includes('GET /users'))!) as Record<string, unknown>;
      expect(request).toMatchObject({
        msg: expect.stringMatching(/^GET \/users\?search=x&access_token=\[redacted\] 401 \d+ms$/),
        res: { statusCode: 401 },
      });
      expect(request.req).toEqual({ method: 'GET', url: '/users?search=x&access_token=[redacted]' });
      expect(JSON.stringify(request).length).toBeLessThan(400);
      const refused = lines.find((l) => l.includes('handshake refused'))!;
      expect(refused).toMatch(/handshake refused: UNAUTHORIZED \(TOKEN_INVALID\)/);
      const all = proc.output();
      for (const secret of ['query-secret-123', 'header-secret-456', bad]) expect(all).not.toContain(secret);
      // Probes are at debug: not in an info log.
      expect(all).not.toMatch(/\/health\/(ready|live)/);
      expect(all).not.toContain('successfully started');
    });

    it('LOG_FORMAT=pretty: readable lines, not JSON', async () => {
      const { proc } = await serve({ LOG_FORMAT: 'pretty' });
      const line = proc
        .output()
        .split('\n')
        .find((l) => l.includes('listening on'));
      expect(line).toBeDefined();
      expect(line!.trim().startsWith('{')).toBe(false);
      expect(line).toMatch(/INFO.*\[Main\] listening on/);
    });
  });
});
