import request from 'supertest';
import type { AuthResult, AuthSession } from '../src/contracts';
import { REDIS, type RedisConnections } from '../src/redis/redis.providers';
import { startPair, type AppPair } from './support/app';
import { send } from './support/chat';
import { ClientTracker, registerUser, settle, uniqueUsername } from './support/clients';

const PASSWORD = 'correct horse battery';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * An ended login is airtight: once logout (or ending a session, or a password change) answered,
 * no socket of that login receives anything, on any instance, even one that reads Redis late. With
 * TEST_REDIS=1 two instances of one deployment; otherwise one app under both names.
 */
describe('auth sessions: ending a login races deliveries', () => {
  let pair: AppPair;
  const clients = new ClientTracker();

  beforeAll(async () => {
    pair = await startPair();
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    clients.closeAll();
    await pair.close();
  });

  const login = async (url: string, username: string): Promise<AuthResult> =>
    (await request(url).post('/auth/login').send({ username, password: PASSWORD }).expect(200)).body as AuthResult;

  type How = 'logout' | 'logout of every session' | 'ending the session from another login' | 'a password change';
  const end: Record<How, (url: string, ending: AuthResult, other: AuthResult) => Promise<unknown>> = {
    logout: (url, ending) => request(url).post('/auth/logout').set(bearer(ending.accessToken)).send({}).expect(204),
    'logout of every session': (url, ending) =>
      request(url).post('/auth/logout').set(bearer(ending.accessToken)).send({ allSessions: true }).expect(204),
    'ending the session from another login': async (url, ending, other) => {
      const listed = (await request(url).get('/auth/sessions').set(bearer(ending.accessToken)).expect(200)).body as {
        sessions: AuthSession[];
      };
      const id = listed.sessions.find((s) => s.current)!.sessionId;
      await request(url).delete(`/auth/sessions/${id}`).set(bearer(other.accessToken)).expect(204);
    },
    'a password change': (url, _ending, other) =>
      request(url)
        .post('/users/me/password')
        .set(bearer(other.accessToken))
        .send({ currentPassword: PASSWORD, newPassword: `${PASSWORD} 2` })
        .expect(204),
  };

  it.each(Object.keys(end) as How[])(
    '%s answers only once every instance disconnected the login: a message sent at the answer misses its socket',
    async (how) => {
      const { a, b } = pair;
      const username = uniqueUsername();
      await request(a.url).post('/auth/register').send({ username, password: PASSWORD }).expect(201);
      const [ending, other] = [await login(a.url, username), await login(a.url, username)];
      const peer = await registerUser(a.url);
      // The login's socket and the peer who writes to it are on the first instance; the login is
      // ended on the second. The first reads nothing from Redis for 300 ms (with two instances),
      // while its local emits go out at once.
      const endingSocket = await clients.at(a.url).connect(ending.accessToken);
      const peerSocket = await clients.at(a.url).connect(peer.token);
      const subscriber = a === b ? undefined : a.app.get<symbol, RedisConnections>(REDIS).subscriber;
      subscriber?.stream.pause();
      const resumed = settle(subscriber ? 300 : 0).then(() => subscriber?.stream.resume());
      try {
        await end[how](b.url, ending, other);
        const after = await send(peerSocket, { to: ending.user.id, content: `after ${how}` });
        await resumed;
        expect(await endingSocket.waitFor('session:expired')).toEqual({ reason: expect.any(String) });
        await settle(50);
        expect(endingSocket.all('message:new').map((m) => m.id)).not.toContain(after.id);
        expect(endingSocket.socket.connected).toBe(false);
      } finally {
        await resumed;
      }
    },
  );
});
