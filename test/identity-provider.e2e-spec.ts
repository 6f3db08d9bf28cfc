import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { User } from '../src/contracts';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app';
import { ClientTracker, connectError, registerUser, uniqueUsername } from './support/clients';
import { hmacToken, TEST_AUDIENCE, TEST_ISSUER, TestIdentityProvider } from './support/identity-provider';

const me = (url: string, token: string) => request(url).get('/users/me').set('authorization', `Bearer ${token}`);

describe('identity provider tokens (JWT_JWKS_URL)', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    idp.addKey('RS256', 'rsa-1');
    idp.addKey('ES256', 'ec-1');
    // Refetch on every unknown kid: rotation and outage are tested here, the rate limit below.
    t = await startApp({ env: idp.env({ JWT_JWKS_REFETCH_MS: '0' }) });
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('accepts RS256 and ES256 tokens; the first connection creates the user, the second reuses it', async () => {
    const subject = `sub-${randomUUID()}`;
    const name = uniqueUsername('idp');
    const rs = await idp.sign({ sub: subject, preferred_username: name, name: 'Ada Provider' }, idp.keys[0]);
    const es = await idp.sign({ sub: subject, preferred_username: name }, idp.keys[1]);

    const first = await clients.connect(rs);
    const { user } = await first.waitFor('session');
    expect(user).toMatchObject({ username: name, displayName: 'Ada Provider' });
    expect(user.id).not.toBe(subject);

    const second = await clients.connect(es);
    expect((await second.waitFor('session')).user).toEqual(user);
    expect((await me(t.url, rs).expect(200)).body).toEqual(user);
    expect((await me(t.url, es).expect(200)).body).toEqual(user);
  });

  it.each([
    ['a wrong issuer', () => idp.sign({ sub: 'x' }, idp.keys[0], { issuer: 'https://evil.example' }), 'UNAUTHORIZED'],
    ['a wrong audience', () => idp.sign({ sub: 'x' }, idp.keys[0], { audience: 'someone-else' }), 'UNAUTHORIZED'],
    ['an unknown kid', () => idp.sign({ sub: 'x' }, idp.keys[0], { kid: 'never-published' }), 'UNAUTHORIZED'],
    ['expired', () => idp.sign({ sub: 'x' }, idp.keys[0], { expiresIn: -60 }), 'TOKEN_EXPIRED'],
    ['HS256 signed with the public key (alg confusion)', async () => idp.confused({ sub: 'x' }), 'UNAUTHORIZED'],
    ['unsigned (alg none)', async () => idp.unsigned({ sub: 'x' }), 'UNAUTHORIZED'],
    ['without a subject', () => idp.sign({}, idp.keys[0]), 'UNAUTHORIZED'],
  ])('refuses a token with %s on the handshake and on REST', async (_, make, code) => {
    const token = await make();
    const refused = await connectError(t.url, { auth: { token } });
    expect(refused).toMatchObject({ message: 'unauthorized', data: { code } });
    const res = await me(t.url, token).expect(401);
    expect(res.body.error.code).toBe(code);
  });

  it('keeps accepting tokens of known keys while the JWKS is down, and refuses unknown ones', async () => {
    const known = await idp.sign({ sub: `sub-${randomUUID()}` }, idp.keys[0]);
    await me(t.url, known).expect(200);
    const unpublished = idp.addKey('RS256', `late-${randomUUID()}`);
    idp.removeKey(unpublished.kid);
    idp.down = true;
    try {
      const fetches = idp.fetches;
      await me(t.url, await idp.sign({ sub: `sub-${randomUUID()}` }, idp.keys[0])).expect(200);
      await clients.connect(await idp.sign({ sub: `sub-${randomUUID()}` }, idp.keys[1]));
      const res = await me(t.url, await idp.sign({ sub: 'x' }, unpublished)).expect(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect(idp.fetches).toBeGreaterThan(fetches); // it did try: the unknown kid asked for a refetch
    } finally {
      idp.down = false;
    }
  });

  it('follows a key rotation without a restart', async () => {
    const next = idp.addKey('ES256', `rotated-${randomUUID()}`);
    const token = await idp.sign({ sub: `sub-${randomUUID()}` }, next);
    await me(t.url, token).expect(200);
    await clients.connect(token);
  });

  it('resolves a username clash deterministically and never lets a provider user log in with a password', async () => {
    const local = await registerUser(t.url);
    const subject = `sub-${randomUUID()}`;
    const token = await idp.sign({ sub: subject, preferred_username: local.user.username });
    const created = (await me(t.url, token).expect(200)).body as User;
    const digest = createHash('sha256').update(subject).digest('hex');
    expect(created.username).toBe(`${local.user.username.slice(0, 25)}-${digest.slice(0, 6)}`);
    expect(created.id).not.toBe(local.user.id);

    const odd = (await me(t.url, await idp.sign({ sub: `sub-${randomUUID()}`, preferred_username: 'Ünïcode Name!' })).expect(200))
      .body as User;
    expect(odd.username).toBe('_n_code_name_');

    for (const password of ['', 'anything at all', '!external']) {
      await request(t.url)
        .post('/auth/login')
        .send({ username: created.username, password: password || 'x' })
        .expect(401);
    }
  });

  it('takes the provider subject as a DM `to`', async () => {
    const subject = `sub-${randomUUID()}`;
    const provided = await clients.connect(await idp.sign({ sub: subject }));
    const providedUser = (await provided.waitFor('session')).user;
    const sender = await clients.user();
    const sent = await sender.tabs[0].ok('message:send', { to: subject, content: 'hello by subject' });
    expect(sent.to).toBe(providedUser.id);
    expect((await provided.waitFor('message:new')).content).toBe('hello by subject');
    // REST: `dm:<subject>` names the caller's DM with that user.
    const page = await request(t.url)
      .get(`/conversations/dm:${subject}/messages`)
      .set('authorization', `Bearer ${sender.token}`)
      .expect(200);
    expect(page.body.messages.map((m: { id: string }) => m.id)).toEqual([sent.id]);
    const byId = await request(t.url)
      .get(`/conversations/dm:${providedUser.id}/messages`)
      .set('authorization', `Bearer ${sender.token}`)
      .expect(200);
    expect(byId.body).toEqual(page.body);
    await request(t.url).get(`/conversations/dm:sub-${randomUUID()}/messages`).set('authorization', `Bearer ${sender.token}`).expect(404);
    const ghost = await sender.tabs[0].request('message:send', { to: `sub-${randomUUID()}`, content: 'x' });
    expect(ghost).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('accepts the service’s own tokens side by side', async () => {
    const local = await registerUser(t.url);
    await me(t.url, local.token).expect(200);
    await clients.connect(local.token);
  });

  it('logout with a provider token refuses that user’s provider tokens issued until then, and ends their sockets', async () => {
    const subject = `sub-${randomUUID()}`;
    const past = Math.floor(Date.now() / 1000) - 5;
    const token = await idp.sign({ sub: subject }, idp.keys[0], { issuedAt: past });
    const socket = await clients.connect(token);
    await request(t.url).post('/auth/logout').set('authorization', `Bearer ${token}`).send({}).expect(204);
    expect(await socket.waitFor('session:expired')).toEqual({ reason: 'logout' });
    expect((await me(t.url, token).expect(401)).body.error.reason).toBe('SESSION_ENDED');
    // A token the provider issues later is fine.
    await me(t.url, await idp.sign({ sub: subject }, idp.keys[0], { issuedAt: past + 3600 })).expect(200);
  });
});

describe('identity provider: limits and AUTH_LOCAL', () => {
  let idp: TestIdentityProvider;
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    idp.addKey('RS256', 'rsa-1');
  });
  afterAll(() => idp.close());

  it('does not hammer the provider with a flood of bogus kids', async () => {
    t = await startApp({ env: idp.env() });
    await me(t.url, await idp.sign({ sub: `sub-${randomUUID()}` })).expect(200);
    const fetches = idp.fetches;
    const bogus = await Promise.all(Array.from({ length: 30 }, () => idp.sign({ sub: 'x' }, idp.keys[0], { kid: randomUUID() })));
    for (const token of bogus) await me(t.url, token).expect(401);
    expect(idp.fetches - fetches).toBeLessThanOrEqual(1);
  });

  it('AUTH_LOCAL=false turns /auth/register and /auth/login into 404; provider tokens still work', async () => {
    t = await startApp({ env: idp.env({ AUTH_LOCAL: 'false' }) });
    const register = await request(t.url)
      .post('/auth/register')
      .send({ username: uniqueUsername(), password: 'correct horse battery' })
      .expect(404);
    expect(register.body.error.code).toBe('NOT_FOUND');
    await request(t.url).post('/auth/login').send({ username: 'someone', password: 'whatever1' }).expect(404);
    await me(t.url, await idp.sign({ sub: `sub-${randomUUID()}` })).expect(200);
  });

  it('accepts a PEM public key (JWT_PUBLIC_KEY), and HS256 provider tokens only with JWT_ISSUER set', async () => {
    const pem = idp.keys[0].publicKey.export({ format: 'pem', type: 'spki' }).toString();
    t = await startApp({
      env: { JWT_PUBLIC_KEY: pem, JWT_ISSUER: TEST_ISSUER, JWT_AUDIENCE: TEST_AUDIENCE, JWT_ALGORITHMS: 'RS256,HS256' },
    });
    await me(t.url, await idp.sign({ sub: `sub-${randomUUID()}` }, idp.keys[0], { kid: 'whatever' })).expect(200);
    const now = Math.floor(Date.now() / 1000);
    const hs = hmacToken(
      { alg: 'HS256' },
      { sub: `sub-${randomUUID()}`, iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + 60 },
      TEST_JWT_SECRET,
    );
    const provided = (await me(t.url, hs).expect(200)).body as User;
    expect(provided.username).toMatch(/^user(-[0-9a-f]{6})?$/); // the first subject without a username took "user"
    // Own tokens (no issuer) still go the own way.
    const local = await registerUser(t.url);
    await me(t.url, local.token).expect(200);
  });
});
