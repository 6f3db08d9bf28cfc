import jwt from 'jsonwebtoken';
import { UsersRepository } from '../src/users/users.repository';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app';
import { ClientTracker, connectError, registerUser, settle } from './support/clients';

describe('socket.io handshake: JWT authentication', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp();
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t.close());

  /** Signs like the server does; a payload carrying its own `exp` gets no `expiresIn`. */
  const sign = (payload: object, options: jwt.SignOptions = {}, secret = TEST_JWT_SECRET) =>
    jwt.sign(payload, secret, { algorithm: 'HS256', ...('exp' in payload ? {} : { expiresIn: 60 }), ...options });

  it('refuses a connection without a token', async () => {
    const err = await connectError(t.url, {});
    expect(err.message).toBe('unauthorized');
    expect(err.data?.code).toBe('UNAUTHORIZED');
  });

  it('refuses a garbage token', async () => {
    const err = await connectError(t.url, { auth: { token: 'garbage' } });
    expect(err).toMatchObject({ message: 'unauthorized', data: { code: 'UNAUTHORIZED' } });
  });

  it('refuses a non-string token', async () => {
    const err = await connectError(t.url, { auth: { token: { sub: 'x' } } });
    expect(err.data?.code).toBe('UNAUTHORIZED');
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const { user } = await registerUser(t.url);
    const token = sign({ sub: user.id, exp: Math.floor(Date.now() / 1000) - 10 });
    const err = await connectError(t.url, { auth: { token } });
    expect(err).toMatchObject({ message: 'unauthorized', data: { code: 'TOKEN_EXPIRED' } });
  });

  it('refuses alg: none', async () => {
    const { user } = await registerUser(t.url);
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: user.id, exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    const err = await connectError(t.url, { auth: { token: `${header}.${body}.` } });
    expect(err.data?.code).toBe('UNAUTHORIZED');
  });

  it('refuses a token signed with another secret', async () => {
    const { user } = await registerUser(t.url);
    const err = await connectError(t.url, { auth: { token: sign({ sub: user.id }, {}, 'another-secret-another-secret-another') } });
    expect(err.data?.code).toBe('UNAUTHORIZED');
  });

  it('refuses a token with another algorithm', async () => {
    const { user } = await registerUser(t.url);
    const token = jwt.sign({ sub: user.id }, TEST_JWT_SECRET, { algorithm: 'HS512', expiresIn: 60 });
    expect((await connectError(t.url, { auth: { token } })).data?.code).toBe('UNAUTHORIZED');
  });

  it('refuses a token without a subject and one not yet valid', async () => {
    const { user } = await registerUser(t.url);
    expect((await connectError(t.url, { auth: { token: sign({}) } })).data?.code).toBe('UNAUTHORIZED');
    const future = sign({ sub: user.id }, { notBefore: 3600 });
    expect((await connectError(t.url, { auth: { token: future } })).data?.code).toBe('UNAUTHORIZED');
  });

  it('refuses a token for a user that no longer exists', async () => {
    const { user, token } = await registerUser(t.url);
    await t.app.get(UsersRepository).delete(user.id);
    expect((await connectError(t.url, { auth: { token } })).data?.code).toBe('UNAUTHORIZED');
  });

  it('ignores a token in the query string', async () => {
    const { token } = await registerUser(t.url);
    const err = await connectError(t.url, { query: { token } });
    expect(err.data?.code).toBe('UNAUTHORIZED');
  });

  it('accepts a valid token and sends `session` first', async () => {
    const { user, token } = await registerUser(t.url);
    const client = await clients.connect(token);
    expect(client.received[0]).toEqual({
      event: 'session',
      payload: { sessionId: expect.any(String), user, expiresAt: expect.any(String) },
    });
    // The token's own expiry (its `exp`), so a client can refresh before it.
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number };
    expect((client.received[0].payload as { expiresAt: string }).expiresAt).toBe(new Date(exp * 1000).toISOString());
  });

  it('accepts the token as an Authorization: Bearer header', async () => {
    const { user, token } = await registerUser(t.url);
    const client = await clients.connect(undefined, { extra: { extraHeaders: { authorization: `Bearer ${token}` } } });
    expect((await client.waitFor('session')).user.id).toBe(user.id);
  });

  it('tells a connection whose token expires and disconnects it', async () => {
    const { user } = await registerUser(t.url);
    const client = await clients.connect(sign({ sub: user.id }, { expiresIn: 1 }));
    await client.waitFor('session:expired', () => true, 3000);
    await settle(100);
    expect(client.socket.connected).toBe(false);
  });

  it('session:refresh moves the expiry of a live connection', async () => {
    const { user, token } = await registerUser(t.url);
    const client = await clients.connect(sign({ sub: user.id }, { expiresIn: 1 }));
    const result = await client.ok('session:refresh', { token });
    expect(Date.parse(result.expiresAt)).toBeGreaterThan(Date.now() + 30 * 60_000);
    await settle(1500);
    expect(client.all('session:expired')).toHaveLength(0);
    expect(client.socket.connected).toBe(true);
  });

  it("session:refresh refuses bad input, an expired token and another user's token", async () => {
    const a = await registerUser(t.url);
    const b = await registerUser(t.url);
    const client = await clients.connect(a.token);
    const bad = await client.request('session:refresh', { token: 42 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', details: [{ field: 'token' }] } });
    const expired = await client.request('session:refresh', { token: sign({ sub: a.user.id, exp: 1 }) });
    expect(expired).toMatchObject({ ok: false, error: { code: 'TOKEN_EXPIRED' } });
    const foreign = await client.request('session:refresh', { token: b.token });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(client.socket.connected).toBe(true);
  });
});
