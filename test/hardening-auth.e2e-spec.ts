import { pbkdf2, pbkdf2Sync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { startApp, type TestApp } from './support/app';
import { registerUser, uniqueUsername } from './support/clients';

type Answer = { status: number; body: { error?: { code: string; details?: { retryAfterMs?: number } } } };

const register = (url: string, headers: Record<string, string> = {}) =>
  request(url)
    .post('/auth/register')
    .set(headers)
    .send({ username: uniqueUsername('h'), password: 'correct horse battery' });

function expectRateLimited(answers: Answer[]): void {
  for (const answer of answers) {
    expect(answer.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: expect.any(Number) } });
    expect(answer.body.error?.details?.retryAfterMs).toBeGreaterThan(0);
  }
}

/** Login/register floods must not stall the rest: bounded scrypt work, a register throttle per address. */
describe('hardening: password hashing is bounded', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '2' } });
  });
  afterAll(() => t.close());

  it('answers a burst of registrations past the hash queue with 429 RATE_LIMITED, and REST keeps answering meanwhile', async () => {
    const { token } = await registerUser(t.url);
    const burst = Array.from({ length: 16 }, () => register(t.url));
    const [health, me] = await Promise.all([
      request(t.url).get('/health'),
      request(t.url).get('/users/me').set('authorization', `Bearer ${token}`),
    ]);
    const answers = await Promise.all(burst);
    expect(health.status).toBe(200);
    expect(me.status).toBe(200);

    const created = answers.filter((a) => a.status === 201);
    const limited = answers.filter((a) => a.status === 429);
    // One hashing and two waiting are always taken; the rest of the burst arrives while they are.
    expect(created.length).toBeGreaterThanOrEqual(3);
    expect(limited.length).toBeGreaterThan(0);
    expect(created.length + limited.length).toBe(answers.length);
    expectRateLimited(limited);
  });

  it('queues logins of unknown users like real checks: the same 429 past the queue, 401 otherwise', async () => {
    const burst = await Promise.all(
      Array.from({ length: 16 }, () =>
        request(t.url)
          .post('/auth/login')
          .send({ username: uniqueUsername('ghost'), password: 'whatever-pass' }),
      ),
    );
    const limited = burst.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(burst.filter((a) => a.status === 401).length).toBeGreaterThanOrEqual(3);
    expect(burst.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    expectRateLimited(limited);
  });

  it('refuses nothing once the burst is over', async () => {
    const { user, password } = await registerUser(t.url);
    await request(t.url).post('/auth/login').send({ username: user.username, password }).expect(200);
  });
});

describe('hardening: registrations per address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { REGISTER_MAX_PER_IP: '3', TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => t.close());

  it('refuses the registration past REGISTER_MAX_PER_IP from one address with 429, and registers from another', async () => {
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let i = 0; i < 3; i++) await register(t.url, from('203.0.113.7')).expect(201);
    const username = uniqueUsername('over');
    const over = await request(t.url).post('/auth/register').set(from('203.0.113.7')).send({ username, password: 'correct horse battery' });
    expect(over.status).toBe(429);
    expectRateLimited([over]);
    expect(over.body.error.details.retryAfterMs).toBeLessThanOrEqual(3600 * 1000);
    // Nothing of the refused registration was applied.
    await request(t.url).post('/auth/login').send({ username, password: 'correct horse battery' }).expect(401);

    await register(t.url, from('203.0.113.8')).expect(201);
    // Without the header (trusted loopback peer), the peer's own address counts, separately.
    await register(t.url).expect(201);
  });
});

describe('hardening: REST never waits on the threadpool', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  it('serves the demo page and the socket.io client from memory with their types and revalidation', async () => {
    const page = await request(t.url).get('/').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<script src="/app.js"'); // the demo bundle (client package and socket.io-client inside)
    expect(page.headers['cache-control']).toBe('public, max-age=0');
    expect((await request(t.url).get('/index.html').expect(200)).text).toBe(page.text);
    const css = await request(t.url).get('/app.css').expect(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await request(t.url).get('/app.js').expect(200)).headers['content-type']).toBe('text/javascript; charset=utf-8');

    const dist = join(dirname(require.resolve('socket.io-client/package.json')), 'dist');
    const client = await request(t.url).get('/vendor/socket.io.min.js').expect(200);
    expect(client.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(client.text).toBe(readFileSync(join(dist, 'socket.io.min.js'), 'utf8'));
    const map = await request(t.url).get('/vendor/socket.io.min.js.map').expect(200);
    expect(map.headers['content-type']).toBe('application/json; charset=utf-8');

    await request(t.url).get('/vendor/socket.io.min.js').set('if-none-match', client.headers.etag).expect(304);
    await request(t.url).get('/app.css').set('if-modified-since', css.headers['last-modified']).expect(304);
    const head = await request(t.url).head('/app.css').expect(200);
    expect(head.headers['content-length']).toBe(css.headers['content-length']);

    // Only those files: other paths and methods go to the routes.
    expect((await request(t.url).get('/vendor/socket.io.js')).status).toBe(404);
    expect((await request(t.url).post('/app.css')).status).toBe(404);
  });

  it('keeps /docs (Swagger UI and its own assets) working', async () => {
    const docs = await request(t.url).get('/docs/').expect(200);
    expect(docs.headers['content-type']).toMatch(/^text\/html/);
    const css = docs.text.match(/href="\.?\/?([^"]*swagger-ui\.css)"/)?.[1];
    expect(css).toBeDefined();
    const asset = await request(t.url)
      .get(`/docs/${css!.replace(/^docs\//, '')}`)
      .expect(200);
    expect(asset.headers['content-type']).toMatch(/^text\/css/);
  });

  it('answers /health and /users/me while every threadpool thread is busy', async () => {
    const { token } = await registerUser(t.url);
    // The app runs in this process, so jobs queued here share its libuv threadpool. Enough jobs to
    // take every thread, each long enough (~1 s of CPU) that the pool is certainly still busy.
    const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    const started = performance.now();
    pbkdf2Sync('calibrate', 'salt', 20_000, 32, 'sha512');
    const iterations = Math.max(20_000, Math.round((20_000 * 1000) / Math.max(1, performance.now() - started)));
    let completed = 0;
    const jobs = Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) =>
          pbkdf2('busy', 'salt', iterations, 32, 'sha512', (err) => (err ? reject(err) : resolve(void completed++))),
        ),
    );

    const health = await fetch(`${t.url}/health`);
    const completedAtHealth = completed;
    const me = await fetch(`${t.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    const completedAtMe = completed;
    await Promise.all(jobs);

    expect(health.status).toBe(200);
    expect(me.status).toBe(200);
    // A route behind a file-system lookup would have waited for a thread, i.e. for a job to finish.
    expect(completedAtHealth).toBe(0);
    expect(completedAtMe).toBe(0);
  });
});
