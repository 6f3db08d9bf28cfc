import request from 'supertest';
import { startApp, type TestApp } from './support/app';
import { registerUser, uniqueUsername } from './support/clients';
import { E2E_WITH_REDIS } from './support/redis';

describe('REST: auth and users', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  it('registers a user and returns a bearer token', async () => {
    const username = uniqueUsername('Reg');
    const res = await request(t.url).post('/auth/register').send({ username, password: 'password123', displayName: 'Reg User' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      user: { id: expect.any(String), username: username.toLowerCase(), displayName: 'Reg User', createdAt: expect.any(String) },
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      refreshExpiresIn: 2592000,
      tokenType: 'Bearer',
      expiresIn: 3600,
    });
    expect(res.body).not.toHaveProperty('user.passwordHash');
    expect(new Date(res.body.user.createdAt).toISOString()).toBe(res.body.user.createdAt);
  });

  it('refuses a taken username, whatever its case, with 409', async () => {
    const { user } = await registerUser(t.url);
    const res = await request(t.url).post('/auth/register').send({ username: user.username.toUpperCase(), password: 'password123' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it('answers bad input with 400 and a detail per field', async () => {
    const res = await request(t.url).post('/auth/register').send({ username: 'a b', password: 'short', admin: true });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
    const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(['admin', 'password', 'username']);
  });

  it('answers a non-JSON or non-object body with 400, not 500', async () => {
    const res = await request(t.url).post('/auth/register').set('content-type', 'application/json').send('[1,2]');
    expect(res.status).toBe(400);
    const broken = await request(t.url).post('/auth/login').set('content-type', 'application/json').send('{"username":');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(broken.body)).not.toMatch(/at .*\.js/);
  });

  it('logs in with the right password and gives one answer for a wrong password and an unknown user', async () => {
    const { user, password } = await registerUser(t.url);
    const ok = await request(t.url).post('/auth/login').send({ username: user.username, password }).expect(200);
    expect(ok.body.user).toEqual(user);
    expect(ok.body.tokenType).toBe('Bearer');

    const wrong = await request(t.url).post('/auth/login').send({ username: user.username, password: 'wrong-password' });
    const unknown = await request(t.url).post('/auth/login').send({ username: uniqueUsername(), password: 'wrong-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('GET /users/me needs a valid bearer token', async () => {
    const { user, token } = await registerUser(t.url);
    const me = await request(t.url).get('/users/me').set('authorization', `Bearer ${token}`).expect(200);
    expect(me.body).toEqual(user);

    const none = await request(t.url).get('/users/me');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHORIZED');
    const garbage = await request(t.url).get('/users/me').set('authorization', 'Bearer not.a.token');
    expect(garbage.status).toBe(401);
    const inQuery = await request(t.url).get(`/users/me?token=${token}`);
    expect(inQuery.status).toBe(401);
  });

  it('GET /users searches by prefix and includes presence', async () => {
    const prefix = uniqueUsername('srch').slice(0, 12);
    const a = await registerUser(t.url, `${prefix}_a`);
    await registerUser(t.url, `${prefix}_b`);
    const res = await request(t.url).get(`/users?search=${prefix}&limit=10`).set('authorization', `Bearer ${a.token}`).expect(200);
    expect(res.body.users.map((u: { username: string }) => u.username)).toEqual([`${prefix}_a`, `${prefix}_b`]);
    expect(res.body.users[0].presence).toEqual({ userId: a.user.id, username: a.user.username, status: 'offline', connections: 0 });

    const one = await request(t.url).get(`/users?search=${prefix}&limit=1`).set('authorization', `Bearer ${a.token}`).expect(200);
    expect(one.body.users).toHaveLength(1);
    const bad = await request(t.url).get('/users?limit=1000').set('authorization', `Bearer ${a.token}`);
    expect(bad.status).toBe(400);
    await request(t.url).get('/users').expect(401);
  });

  it('treats LIKE wildcards in the search as plain characters', async () => {
    const { token } = await registerUser(t.url);
    const res = await request(t.url).get('/users?search=_').set('authorization', `Bearer ${token}`).expect(200);
    expect(res.body.users.every((u: { username: string }) => u.username.startsWith('_'))).toBe(true);
  });

  it('GET /health reports the database (and Redis in multi-instance mode)', async () => {
    const res = await request(t.url).get('/health').expect(200);
    const checks = E2E_WITH_REDIS ? { database: { status: 'up' }, redis: { status: 'up' } } : { database: { status: 'up' } };
    expect(res.body).toEqual({ status: 'ok', checks });
  });

  it('answers unknown routes with the error shape', async () => {
    const res = await request(t.url).get('/nope').expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
