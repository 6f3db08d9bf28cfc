import request from 'supertest';
import type { AuthResult, AuthSession } from '../src/contracts';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, connectError, uniqueUsername, type TestClient } from './support/clients';

const PASSWORD = 'correct horse battery';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('sessions, refresh and logout', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp();
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t?.close());

  /** A new user logged in on `logins` devices (the first by registering), each with a connected socket. */
  async function devices(logins: number): Promise<{ username: string; logins: (AuthResult & { socket: TestClient })[] }> {
    const username = uniqueUsername();
    const all: AuthResult[] = [(await request(t.url).post('/auth/register').send({ username, password: PASSWORD }).expect(201)).body];
    for (let i = 1; i < logins; i++) {
      all.push(
        (await request(t.url).post('/auth/login').set('user-agent', `device-${i}`).send({ username, password: PASSWORD }).expect(200)).body,
      );
    }
    return {
      username,
      logins: await Promise.all(all.map(async (login) => ({ ...login, socket: await clients.connect(login.accessToken) }))),
    };
  }

  /** The ack of a round trip: everything the server sent this socket before it has arrived. */
  const roundTrip = (socket: TestClient, token: string) => socket.ok('session:refresh', { token });

  it('register and login return a refresh token; refresh rotates it', async () => {
    const { logins } = await devices(1);
    const [first] = logins;
    expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, refreshExpiresIn: 30 * 86400 });
    expect(typeof first.refreshToken).toBe('string');

    const next = (await request(t.url).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body as AuthResult;
    expect(next.user).toEqual(first.user);
    expect(next.refreshToken).not.toBe(first.refreshToken);
    await request(t.url).get('/users/me').set(bearer(next.accessToken)).expect(200);
    // The same login: the old access token still works, the socket is untouched.
    await request(t.url).get('/users/me').set(bearer(first.accessToken)).expect(200);
    await roundTrip(first.socket, next.accessToken);
    expect(first.socket.all('session:expired')).toEqual([]);
  });

  it('a reused refresh token ends the whole token family and its sockets, and no other session', async () => {
    const { logins } = await devices(2);
    const [victim, other] = logins;
    const rotated = (await request(t.url).post('/auth/refresh').send({ refreshToken: victim.refreshToken }).expect(200)).body as AuthResult;

    const reuse = await request(t.url).post('/auth/refresh').send({ refreshToken: victim.refreshToken }).expect(401);
    expect(reuse.body.error).toMatchObject({ code: 'UNAUTHORIZED', reason: 'REFRESH_REUSED' });
    expect(await victim.socket.waitFor('session:expired')).toEqual({ reason: 'revoked' });
    await new Promise<void>((resolve) =>
      victim.socket.socket.connected ? victim.socket.socket.once('disconnect', () => resolve()) : resolve(),
    );

    // Every token of that family is refused now: the newer refresh token and both access tokens.
    expect((await request(t.url).post('/auth/refresh').send({ refreshToken: rotated.refreshToken }).expect(401)).body.error.reason).toBe(
      'REFRESH_INVALID',
    );
    for (const token of [victim.accessToken, rotated.accessToken]) {
      expect((await request(t.url).get('/users/me').set(bearer(token)).expect(401)).body.error.reason).toBe('SESSION_ENDED');
      expect(await connectError(t.url, { auth: { token } })).toMatchObject({
        message: 'unauthorized',
        data: { code: 'UNAUTHORIZED', reason: 'SESSION_ENDED' },
      });
    }
    await roundTrip(other.socket, other.accessToken);
    expect(other.socket.all('session:expired')).toEqual([]);
  });

  it('logout ends this session only: its sockets get session:expired and go, its tokens are refused everywhere', async () => {
    const { logins } = await devices(3);
    const [leaving, staying, third] = logins;
    await request(t.url).post('/auth/logout').set(bearer(leaving.accessToken)).send({}).expect(204);
    expect(await leaving.socket.waitFor('session:expired')).toEqual({ reason: 'logout' });

    await request(t.url).get('/users/me').set(bearer(leaving.accessToken)).expect(401);
    expect(await connectError(t.url, { auth: { token: leaving.accessToken } })).toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    // session:refresh with the ended session's token, on a socket of another session of the same user.
    const refreshed = await staying.socket.request('session:refresh', { token: leaving.accessToken });
    expect(refreshed).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED', reason: 'SESSION_ENDED' } });
    await request(t.url).post('/auth/refresh').send({ refreshToken: leaving.refreshToken }).expect(401);

    for (const still of [staying, third]) {
      await roundTrip(still.socket, still.accessToken);
      expect(still.socket.all('session:expired')).toEqual([]);
      await request(t.url).get('/users/me').set(bearer(still.accessToken)).expect(200);
    }
  });

  it('logout of all sessions ends every one of them', async () => {
    const { logins } = await devices(2);
    await request(t.url).post('/auth/logout').set(bearer(logins[1].accessToken)).send({ allSessions: true }).expect(204);
    for (const login of logins) {
      expect(await login.socket.waitFor('session:expired')).toEqual({ reason: 'logout' });
      await request(t.url).get('/users/me').set(bearer(login.accessToken)).expect(401);
      await request(t.url).post('/auth/refresh').send({ refreshToken: login.refreshToken }).expect(401);
    }
  });

  it('lists the sessions; DELETE ends one of them and only that one', async () => {
    const { logins } = await devices(2);
    const [mine, other] = logins;
    const listed = (await request(t.url).get('/auth/sessions').set(bearer(mine.accessToken)).expect(200)).body.sessions as AuthSession[];
    expect(listed).toHaveLength(2);
    const current = listed.find((s) => s.current)!;
    const theOther = listed.find((s) => !s.current)!;
    expect(current).toMatchObject({ online: true, createdAt: expect.any(String), lastSeenAt: expect.any(String) });
    expect(theOther).toMatchObject({ online: true, userAgent: 'device-1', current: false });

    const stranger = await devices(1);
    await request(t.url).delete(`/auth/sessions/${theOther.sessionId}`).set(bearer(stranger.logins[0].accessToken)).expect(404);
    await request(t.url).delete('/auth/sessions/no-such-session').set(bearer(mine.accessToken)).expect(404);
    await roundTrip(other.socket, other.accessToken);
    expect(other.socket.all('session:expired')).toEqual([]);

    await request(t.url).delete(`/auth/sessions/${theOther.sessionId}`).set(bearer(mine.accessToken)).expect(204);
    expect(await other.socket.waitFor('session:expired')).toEqual({ reason: 'revoked' });
    await request(t.url).get('/users/me').set(bearer(other.accessToken)).expect(401);
    await roundTrip(mine.socket, mine.accessToken);
    expect(mine.socket.all('session:expired')).toEqual([]);
    const after = (await request(t.url).get('/auth/sessions').set(bearer(mine.accessToken)).expect(200)).body.sessions as AuthSession[];
    expect(after.map((s) => s.sessionId)).toEqual([current.sessionId]);
  });

  it('PATCH /users/me changes the display name', async () => {
    const { logins } = await devices(1);
    const token = logins[0].accessToken;
    const res = await request(t.url).patch('/users/me').set(bearer(token)).send({ displayName: '  Ada L.  ' }).expect(200);
    expect(res.body).toMatchObject({ id: logins[0].user.id, displayName: 'Ada L.' });
    expect((await request(t.url).get('/users/me').set(bearer(token)).expect(200)).body.displayName).toBe('Ada L.');
    for (const body of [
      {},
      { displayName: '' },
      { displayName: '   ' },
      { displayName: 'x'.repeat(65) },
      { displayName: 42 },
      { displayName: 'ok', username: 'root' },
    ]) {
      expect((await request(t.url).patch('/users/me').set(bearer(token)).send(body).expect(400)).body.error.code).toBe('BAD_REQUEST');
    }
    await request(t.url).patch('/users/me').send({ displayName: 'nobody' }).expect(401);
  });

  it('a password change ends every other session and keeps this one', async () => {
    const { username, logins } = await devices(2);
    const [here, elsewhere] = logins;
    const wrong = await request(t.url)
      .post('/users/me/password')
      .set(bearer(here.accessToken))
      .send({ currentPassword: 'not it at all', newPassword: 'a brand new secret' })
      .expect(403);
    expect(wrong.body.error.reason).toBe('PASSWORD_INVALID');
    await request(t.url)
      .post('/users/me/password')
      .set(bearer(here.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'short' })
      .expect(400);

    await request(t.url)
      .post('/users/me/password')
      .set(bearer(here.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'a brand new secret' })
      .expect(204);
    expect(await elsewhere.socket.waitFor('session:expired')).toEqual({ reason: 'password_changed' });
    await request(t.url).get('/users/me').set(bearer(elsewhere.accessToken)).expect(401);
    await request(t.url).post('/auth/refresh').send({ refreshToken: elsewhere.refreshToken }).expect(401);

    await roundTrip(here.socket, here.accessToken);
    expect(here.socket.all('session:expired')).toEqual([]);
    await request(t.url).get('/users/me').set(bearer(here.accessToken)).expect(200);
    await request(t.url).post('/auth/refresh').send({ refreshToken: here.refreshToken }).expect(200);
    await request(t.url).post('/auth/login').send({ username, password: PASSWORD }).expect(401);
    await request(t.url).post('/auth/login').send({ username, password: 'a brand new secret' }).expect(200);
  });

  it('answers bad input with the contract’s errors', async () => {
    const { logins } = await devices(1);
    const token = logins[0].accessToken;
    for (const body of [
      {},
      { refreshToken: 42 },
      { refreshToken: '' },
      { refreshToken: 'x', extra: 1 },
      { refreshToken: 'x'.repeat(513) },
    ]) {
      expect((await request(t.url).post('/auth/refresh').send(body).expect(400)).body.error.code).toBe('BAD_REQUEST');
    }
    expect((await request(t.url).post('/auth/refresh').send({ refreshToken: 'not-a-token' }).expect(401)).body.error.reason).toBe(
      'REFRESH_INVALID',
    );
    await request(t.url).post('/auth/logout').send({}).expect(401);
    await request(t.url).post('/auth/logout').set(bearer(token)).send({ allSessions: 'yes' }).expect(400);
    await request(t.url).post('/auth/logout').set(bearer(token)).send({ everything: true }).expect(400);
    await request(t.url).get('/auth/sessions').expect(401);
    await request(t.url).delete('/auth/sessions/x').expect(401);
    await request(t.url).post('/users/me/password').set(bearer(token)).send({ currentPassword: PASSWORD }).expect(400);
    await request(t.url).get('/users/me').set(bearer(token)).expect(200);
  });
});
