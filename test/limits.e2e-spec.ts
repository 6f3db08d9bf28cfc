import request from 'supertest';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, registerUser } from './support/clients';

describe('limits: event rate, payload size, login throttling', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({
      env: {
        RATE_LIMIT_BURST: '5',
        RATE_LIMIT_EVENTS_PER_SEC: '2',
        RATE_LIMIT_DISCONNECT_AFTER: '30',
        MAX_PAYLOAD_BYTES: '4096',
        LOGIN_MAX_FAILURES: '3',
      },
    });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t.close());

  it('answers events over the burst with RATE_LIMITED and retryAfterMs, without touching other sockets', async () => {
    const flooder = await clients.connect((await registerUser(t.url)).token);
    const bystander = await clients.connect((await registerUser(t.url)).token);
    const acks = await Promise.all(Array.from({ length: 8 }, () => flooder.request('session:refresh', {})));
    const limited = acks.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(3);
    for (const ack of limited) {
      if (ack.ok) continue;
      expect((ack.error.details as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    }
    // Not rate limited: answered on its merits.
    expect(await bystander.request('session:refresh', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('emits `exception` with RATE_LIMITED when the limited event had no ack', async () => {
    const client = await clients.connect((await registerUser(t.url)).token);
    for (let i = 0; i < 7; i++) client.socket.emit('session:refresh', {});
    const exception = await client.waitFor('exception', (e) => e.error.code === 'RATE_LIMITED');
    expect(exception.event).toBe('session:refresh');
  });

  it('disconnects a socket that keeps flooding', async () => {
    const client = await clients.connect((await registerUser(t.url)).token);
    const disconnected = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
    for (let i = 0; i < 60; i++) client.socket.emit('session:refresh', {});
    expect(await disconnected).toBe('io server disconnect');
  });

  it('drops a socket.io packet over MAX_PAYLOAD_BYTES and keeps serving others', async () => {
    const big = await clients.connect((await registerUser(t.url)).token);
    const other = await clients.connect((await registerUser(t.url)).token);
    const disconnected = new Promise<string>((resolve) => big.socket.once('disconnect', resolve));
    big.socket.emit('session:refresh', { token: 'x'.repeat(10_000) });
    expect(await disconnected).toBe('transport close');
    expect(await other.request('session:refresh', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('answers a REST body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await request(t.url)
      .post('/auth/register')
      .send({ username: 'big', password: 'x'.repeat(10_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('throttles failed logins per username and address, and only that username', async () => {
    const victim = await registerUser(t.url);
    const other = await registerUser(t.url);
    for (let i = 0; i < 3; i++) {
      await request(t.url).post('/auth/login').send({ username: victim.user.username, password: 'wrong-guess' }).expect(401);
    }
    const blocked = await request(t.url).post('/auth/login').send({ username: victim.user.username, password: victim.password });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: expect.any(Number) } });
    await request(t.url).post('/auth/login').send({ username: other.user.username, password: other.password }).expect(200);
  });

  it('sends security headers and no x-powered-by', async () => {
    const res = await request(t.url).get('/health');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
