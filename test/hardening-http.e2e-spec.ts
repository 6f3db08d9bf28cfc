import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app';
import { connect, registerUser } from './support/clients';
import { freePort } from './support/fault-servers';
import { startServerProcess, waitForHttp, type ServerProcess } from './support/processes';

/** HTTP hygiene: CORS allow-list, security headers, clean error bodies, secrets kept out of logs. */
describe('hardening: CORS allow-list, security headers, clean errors', () => {
  const allowed = 'https://app.example.com';
  const evil = 'https://evil.example.net';
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { CORS_ORIGINS: `${allowed}, https://admin.example.com` } });
  });
  afterAll(() => t.close());

  it('answers REST CORS for an allowed origin only (simple and preflight requests)', async () => {
    const ok = await request(t.url).get('/health').set('origin', allowed);
    expect(ok.headers['access-control-allow-origin']).toBe(allowed);
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    const other = await request(t.url).get('/health').set('origin', evil);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = (origin: string) =>
      request(t.url)
        .options('/users/me')
        .set('origin', origin)
        .set('access-control-request-method', 'GET')
        .set('access-control-request-headers', 'authorization');
    expect((await preflight(allowed)).headers['access-control-allow-origin']).toBe(allowed);
    expect((await preflight(evil)).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers the socket.io handshake with CORS headers for an allowed origin only', async () => {
    const handshake = (origin: string) => request(t.url).get('/socket.io/?EIO=4&transport=polling').set('origin', origin);
    const ok = await handshake(allowed);
    expect(ok.headers['access-control-allow-origin']).toBe(allowed);
    const other = await handshake(evil);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await request(t.url)
      .options('/socket.io/?EIO=4&transport=polling')
      .set('origin', evil)
      .set('access-control-request-method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends security headers on REST responses', async () => {
    const res = await request(t.url).get('/health');
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': expect.stringMatching(/^(DENY|SAMEORIGIN)$/),
      'strict-transport-security': expect.stringContaining('max-age='),
      'content-security-policy': expect.stringContaining("default-src 'self'"),
      'referrer-policy': expect.any(String),
      'cross-origin-opener-policy': expect.any(String),
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('answers malformed bodies, unknown routes and wrong methods with a clean error body, no stack', async () => {
    const malformed = await request(t.url).post('/auth/login').set('content-type', 'application/json').send('{"username": "a", ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({
      error: {
        code: 'BAD_REQUEST',
        reason: 'INVALID_PAYLOAD',
        message: expect.any(String),
        details: [{ field: '(root)', errors: [expect.any(String)] }],
      },
    });
    const notFound = await request(t.url).get('/no/such/route');
    expect(notFound.status).toBe(404);
    expect(notFound.body).toEqual({ error: { code: 'NOT_FOUND', reason: 'ROUTE_NOT_FOUND', message: expect.any(String) } });
    const wrongType = await request(t.url)
      .post('/auth/login')
      .send({ username: ['a'], password: { $gt: '' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe('BAD_REQUEST');
    for (const res of [malformed, notFound, wrongType]) expect(res.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|\.js:\d+/);
  });
});

describe('hardening: secrets never reach the logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rt-logs-'));
  const procs: ServerProcess[] = [];
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['info', 'trace'])(
    'keeps passwords and tokens out of LOG_LEVEL=%s output',
    async (level) => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const proc = startServerProcess(
        {
          PORT: String(port),
          DATABASE_URL: `sqlite:${join(dir, `${level}.db`)}`,
          JWT_SECRET: TEST_JWT_SECRET,
          LOG_LEVEL: level,
          NODE_ENV: 'production',
          CORS_ORIGINS: '*',
        },
        dir,
      );
      procs.push(proc);
      await waitForHttp(`${url}/health`, 30_000);
      const password = `Pw-${level}-correct horse battery staple`;
      const registered = await registerUser(url, undefined, password);
      const login = await request(url)
        .post('/auth/login')
        .set('x-request-id', `req-${level}-1`)
        .send({ username: registered.user.username, password })
        .expect(200);
      const token = login.body.accessToken as string;
      await request(url)
        .post('/auth/login')
        .send({ username: registered.user.username, password: `${password}-wrong` })
        .expect(401);
      await request(url).get('/users/me').set('authorization', `Bearer ${token}`).expect(200);
      await request(url).get('/users/me').set('authorization', `Bearer ${token}x`).expect(401);
      await request(url).get('/users/me').set('cookie', `session=${token}`).expect(401);
      const client = await connect(url, token);
      await client.ok('session:refresh', { token: registered.token });
      await client.request('session:refresh', { token: `${token}.bogus` });
      client.close();
      await new Promise((r) => setTimeout(r, 500));

      const output = proc.output();
      // The requests were logged (so the check means something) …
      expect(output).toContain('/auth/login');
      // … under the caller's request id.
      expect(output).toContain(`"reqId":"req-${level}-1"`);
      // … but no secret, in whole or as the JWT signature alone.
      for (const secret of [password, token, registered.token, token.split('.')[2], registered.token.split('.')[2], TEST_JWT_SECRET]) {
        expect(output).not.toContain(secret);
      }
    },
    60_000,
  );
});
