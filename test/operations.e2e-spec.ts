import request from 'supertest';
import { HealthService } from '../src/health/health.service';
import { MetricsServer } from '../src/metrics/metrics-server';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app';
import { connect, connectError, registerUser } from './support/clients';
import { freePort, startRedisServer } from './support/fault-servers';

/** One sample from Prometheus text. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';

describe('probes: /health/live, /health/ready, /health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t?.close());

  it('answers live and ready while everything is up; /health is readiness', async () => {
    expect((await request(t.url).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await request(t.url).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', checks: { database: { status: 'up' } } });
    expect(ready.body).not.toHaveProperty('draining');
    expect((await request(t.url).get('/health').expect(200)).body).toEqual(ready.body);
  });

  it('turns ready 503 (draining) once a drain begins, while live stays 200 and sockets stay connected', async () => {
    const alice = await registerUser(t.url);
    const client = await connect(t.url, alice.token);
    try {
      t.app.get(HealthService).beginDrain();
      const ready = await request(t.url).get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({ status: 'error', draining: true, checks: { database: { status: 'up' } } });
      await request(t.url).get('/health').expect(503);
      await request(t.url).get('/health/live').expect(200);
      expect(client.socket.connected).toBe(true);
      expect(await client.ok('presence:list', { userIds: [alice.user.id] })).toMatchObject({ users: [{ userId: alice.user.id }] });
    } finally {
      client.close();
    }
  });
});

describe('probes while Redis is down (multi-instance mode)', () => {
  it('keeps live at 200 and answers ready 503 naming redis, 200 again once it is back', async () => {
    const redis = await startRedisServer();
    let t: TestApp | undefined;
    try {
      t = await startApp({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `ops-${process.pid}-${Date.now()}` } });
      await request(t.url).get('/health/ready').expect(200);
      await redis.stop();
      const ready = await request(t.url).get('/health/ready').expect(503);
      expect(ready.body.checks).toMatchObject({ redis: { status: 'down' }, database: { status: 'up' } });
      expect((await request(t.url).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
      await redis.start();
      await request(t.url).get('/health/ready').expect(200);
    } finally {
      await t?.close();
      await redis.destroy();
    }
  });

  it('shuts down cleanly while Redis is away: no unhandled rejection from the adapter unsubscribing', async () => {
    const redis = await startRedisServer();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const t = await startApp({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `ops-${process.pid}-${Date.now()}` } });
      await redis.stop();
      await request(t.url).get('/health/ready').expect(503);
      // The adapter's subscriber is reconnecting: its close() unsubscribes, and the quit flushes those commands.
      await t.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled.map(String)).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await redis.destroy();
    }
  });
});

describe('DOCS_ENABLED and DEMO_ENABLED', () => {
  const DOCS = ['/docs', '/docs-json', '/asyncapi', '/asyncapi.json'];
  const DEMO = ['/', '/vendor/socket.io.min.js'];

  it('serve docs and demo by default', async () => {
    const t = await startApp();
    try {
      for (const path of [...DOCS, ...DEMO]) expect([path, (await request(t.url).get(path)).status]).toEqual([path, 200]);
    } finally {
      await t.close();
    }
  });

  it('DOCS_ENABLED=false: the documents answer 404 like any unknown route; the demo stays', async () => {
    const t = await startApp({ env: { DOCS_ENABLED: 'false' } });
    try {
      for (const path of DOCS) {
        const res = await request(t.url).get(path);
        expect([path, res.status, res.body?.error?.code]).toEqual([path, 404, 'NOT_FOUND']);
      }
      for (const path of DEMO) expect([path, (await request(t.url).get(path)).status]).toEqual([path, 200]);
    } finally {
      await t.close();
    }
  });

  it('DEMO_ENABLED=false: no demo page or vendor files; the documents and the API stay', async () => {
    const t = await startApp({ env: { DEMO_ENABLED: '0' } });
    try {
      for (const path of DEMO) expect([path, (await request(t.url).get(path)).status]).toEqual([path, 404]);
      for (const path of DOCS) expect([path, (await request(t.url).get(path)).status]).toEqual([path, 200]);
      await registerUser(t.url);
    } finally {
      await t.close();
    }
  });

  it('refuses a value that is not a boolean, naming the variable', async () => {
    await expect(startApp({ env: { DOCS_ENABLED: 'maybe' } })).rejects.toThrow(/DOCS_ENABLED must be true or false/);
  });
});

describe('metrics protection', () => {
  it('METRICS_TOKEN: /metrics wants the bearer token', async () => {
    const t = await startApp({ env: { METRICS_TOKEN } });
    try {
      const none = await request(t.url).get('/metrics').expect(401);
      expect(none.body.error).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(none.headers['content-type']).toMatch(/application\/json/);
      await request(t.url).get('/metrics').set('authorization', 'Bearer wrong-token-0123456789').expect(401);
      await request(t.url).get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}x`).expect(401);
      const ok = await request(t.url).get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
      expect(ok.text).toContain('realtime_connections');
    } finally {
      await t.close();
    }
  });

  it('METRICS_PORT: /metrics only on its own port (and the token there too); 404 on PORT', async () => {
    const port = await freePort();
    const t = await startApp({ env: { METRICS_PORT: String(port), METRICS_TOKEN, HOST: '127.0.0.1' } });
    try {
      expect(t.app.get(MetricsServer).port).toBe(port);
      await request(t.url).get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`).expect(404);
      const metrics = `http://127.0.0.1:${port}`;
      await request(metrics).get('/metrics').expect(401);
      const ok = await request(metrics).get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
      expect(ok.text).toContain('realtime_connections');
      expect(ok.headers['content-type']).toMatch(/text\/plain/);
      // Nothing else of the app answers there.
      await request(metrics).get('/health').expect(404);
      await request(metrics).get('/auth/login').expect(404);
    } finally {
      await t.close();
    }
  });

  it('refuses a short METRICS_TOKEN and METRICS_PORT equal to PORT', async () => {
    await expect(startApp({ env: { METRICS_TOKEN: 'short' } })).rejects.toThrow(/METRICS_TOKEN must be at least 16 characters/);
    await expect(startApp({ env: { PORT: '3000', METRICS_PORT: '3000' } })).rejects.toThrow(/METRICS_PORT must differ from PORT/);
  });
});

describe('refused handshakes in /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t?.close());

  it('counts each refusal by code', async () => {
    const scrape = async () => (await request(t.url).get('/metrics').expect(200)).text;
    const before = await scrape();
    const jwt = await import('jsonwebtoken');
    const expired = jwt.sign({ sub: 'someone' }, TEST_JWT_SECRET, { expiresIn: -10 });
    expect((await connectError(t.url, { auth: {} })).data?.code).toBe('UNAUTHORIZED');
    expect((await connectError(t.url, { auth: { token: 'not-a-jwt' } })).data?.code).toBe('UNAUTHORIZED');
    expect((await connectError(t.url, { auth: { token: expired } })).data?.code).toBe('TOKEN_EXPIRED');
    const after = await scrape();
    const count = (text: string, code: string) => metric(text, 'realtime_handshakes_refused_total', { code });
    expect(count(after, 'UNAUTHORIZED')).toBe(count(before, 'UNAUTHORIZED') + 2);
    expect(count(after, 'TOKEN_EXPIRED')).toBe(count(before, 'TOKEN_EXPIRED') + 1);
  });
});
