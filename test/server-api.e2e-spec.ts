import request from 'supertest';
import type { Message, Presence, User } from '../src/contracts';
import { startApp, startPair, type AppPair, type TestApp } from './support/app';
import { ClientTracker, connectError, registerUser, settle, uniqueUsername, type TestClient } from './support/clients';

const KEY = 'server-key-0123456789-0123456789-abcdef';
const OTHER_KEY = 'another-server-key-0123456789-0123456789';
const auth = { authorization: `Bearer ${KEY}` };

/**
 * The app backend's API. With TEST_REDIS=1 two instances share the database and Redis, and every
 * call is made on one while the sockets sit on both; otherwise both names are one app.
 */
describe('server API /server/v1', () => {
  let a: TestApp;
  let b: TestApp;
  let pair: AppPair;
  const clients = new ClientTracker(() => a.url);
  const onB = () => clients.at(b.url);

  beforeAll(async () => {
    const env = { SERVER_API_KEYS: `${KEY},${OTHER_KEY}`, PRESENCE_GRACE_MS: '300' };
    pair = await startPair(env);
    ({ a, b } = pair);
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await pair?.close();
  });

  const server = (app = a) => ({
    post: (path: string, body: unknown) =>
      request(app.url)
        .post(`/server/v1${path}`)
        .set(auth)
        .send(body as object),
    get: (path: string) => request(app.url).get(`/server/v1${path}`).set(auth),
    delete: (path: string) => request(app.url).delete(`/server/v1${path}`).set(auth),
  });
  const fields = (body: { error: { details?: { field: string }[] } }) => (body.error.details ?? []).map((d) => d.field);

  describe('keys', () => {
    it('answers 401 without a key, with a wrong one, or with a user token, on known and unknown paths alike', async () => {
      const { token } = await registerUser(a.url);
      for (const path of ['/server/v1/publish', '/server/v1/no-such-route', '/server/v1/users/x/presence']) {
        for (const headers of [{}, { authorization: `Bearer ${KEY}x` }, { authorization: `Bearer ${token}` }, { authorization: KEY }]) {
          const res = await request(a.url).post(path).set(headers).send({});
          expect(res.status).toBe(401);
          expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED', reason: 'SERVER_KEY_INVALID' });
        }
      }
    });

    it('accepts each configured key', async () => {
      for (const key of [KEY, OTHER_KEY]) {
        await request(a.url)
          .get('/server/v1/modals/m1')
          .set({ authorization: `Bearer ${key}` })
          .expect(200);
      }
    });

    it('does not exist when SERVER_API_KEYS is unset (404 for every path)', async () => {
      const off = await startApp();
      try {
        for (const path of ['/server/v1/publish', '/server/v1/unknown']) {
          const res = await request(off.url).post(path).set(auth).send({});
          expect(res.status).toBe(404);
          expect(res.body.error.code).toBe('NOT_FOUND');
        }
      } finally {
        await off.close();
      }
    });
  });

  describe('POST /publish', () => {
    it('reaches exactly the addressed users’ and room members’ sockets, on both instances, once each', async () => {
      const alice = await clients.user(1);
      const aliceOnB = await onB().connect(alice.token);
      const bob = await onB().user(1);
      const carol = await clients.user(1); // in the room too, but the room is not addressed in the second publish
      const dave = await onB().user(1); // addressed by nothing
      const room = await alice.tabs[0].ok('room:create', { name: 'pub', members: [carol.user.id] });
      await settle(100);
      const res = await server(b)
        .post('/publish', { users: [alice.user.id, bob.user.id], rooms: [room.id], event: 'export:ready', data: { n: 1, list: [1, 'x'] } })
        .expect(200);
      expect(res.body).toEqual({ published: true });
      const everyone: TestClient[] = [alice.tabs[0], aliceOnB, bob.tabs[0], carol.tabs[0], dave.tabs[0]];
      for (const tab of everyone.slice(0, 4)) {
        const got = await tab.waitFor('app:event');
        expect(got).toEqual({ event: 'export:ready', data: { n: 1, list: [1, 'x'] }, publishedAt: expect.any(String) });
      }
      await settle();
      // Alice is addressed twice (as a user and as a room member) and still gets it once per socket.
      for (const tab of everyone.slice(0, 4)) expect(tab.all('app:event')).toHaveLength(1);
      expect(dave.tabs[0].all('app:event')).toHaveLength(0);

      await server(a)
        .post('/publish', { users: [bob.user.id], event: 'only-bob', data: null })
        .expect(200);
      await bob.tabs[0].waitFor('app:event', (e) => e.event === 'only-bob');
      await settle();
      for (const tab of [alice.tabs[0], aliceOnB, carol.tabs[0], dave.tabs[0]])
        expect(tab.all('app:event').map((e) => e.event)).not.toContain('only-bob');
    });

    it('refuses bad input with the fields named', async () => {
      const cases: [unknown, string][] = [
        [{ users: ['u'], data: 1 }, 'event'],
        [{ users: ['u'], event: 'Bad Name', data: 1 }, 'event'],
        [{ users: ['u'], event: 'x'.repeat(65), data: 1 }, 'event'],
        [{ users: ['u'], event: 'ok' }, 'data'],
        [{ event: 'ok', data: 1 }, 'users'],
        [{ users: 'u', event: 'ok', data: 1 }, 'users'],
        [{ users: ['u'], event: 'ok', data: 1, from: 'x' }, 'from'],
        [{ users: ['u'], event: 'ok', data: 'x'.repeat(40_000) }, 'data'],
      ];
      for (const [body, field] of cases) {
        const res = await server().post('/publish', body).expect(400);
        expect(res.body.error.code).toBe('BAD_REQUEST');
        expect(fields(res.body)).toContain(field);
      }
    });
  });

  describe('POST /messages', () => {
    it('sends as the system user to a user and to any room, delivered as a user’s send', async () => {
      const alice = await clients.user(1);
      const aliceOnB = await onB().connect(alice.token);
      const res = await server(b).post('/messages', { to: alice.user.id, content: ' your export is ready ' }).expect(201);
      const message = res.body as Message;
      expect(message).toMatchObject({
        from: { id: 'system', username: '~system' },
        to: alice.user.id,
        content: 'your export is ready',
        seq: 1,
      });
      expect(await alice.tabs[0].waitFor('message:new')).toEqual(message);
      expect(await aliceOnB.waitFor('message:new')).toEqual(message);
      const history = await alice.tabs[0].ok('message:history', { conversationId: message.conversationId });
      expect(history.messages).toEqual([message]);

      const room = await alice.tabs[0].ok('room:create', { name: 'bots', visibility: 'private' });
      const inRoom = await server().post('/messages', { roomId: room.id, content: 'hello room' }).expect(201);
      expect(await aliceOnB.waitFor('message:new', (m) => m.roomId === room.id)).toEqual(inRoom.body);
    });

    it('sends as a user with that user’s rights and idempotency', async () => {
      const alice = await clients.user(1);
      const bob = await onB().user(1);
      const body = { from: alice.user.id, to: bob.user.id, content: 'hi bob', clientMsgId: 'c-1' };
      const first = (await server().post('/messages', body).expect(201)).body as Message;
      expect(first.from).toEqual({ id: alice.user.id, username: alice.user.username });
      expect(await bob.tabs[0].waitFor('message:new')).toEqual(first);
      // Alice's own tabs get it too (no socket sent it).
      expect(await alice.tabs[0].waitFor('message:new')).toEqual(first);
      const again = (
        await server(b)
          .post('/messages', { ...body, content: 'other' })
          .expect(201)
      ).body as Message;
      expect(again).toEqual(first);
      await settle();
      expect(bob.tabs[0].all('message:new')).toHaveLength(1);

      const room = await bob.tabs[0].ok('room:create', { name: 'closed', visibility: 'public' });
      const refused = await server().post('/messages', { from: alice.user.id, roomId: room.id, content: 'x' }).expect(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    });

    it('refuses bad input and unknown authors, rooms and recipients', async () => {
      const alice = await registerUser(a.url);
      await server().post('/messages', { content: 'no target' }).expect(400);
      await server().post('/messages', { to: alice.user.id, roomId: 'r', content: 'both' }).expect(400);
      await server().post('/messages', { to: alice.user.id, content: '   ' }).expect(400);
      await server().post('/messages', { to: alice.user.id, content: 'x', extra: 1 }).expect(400);
      expect((await server().post('/messages', { from: 'nobody', to: alice.user.id, content: 'x' }).expect(404)).body.error.reason).toBe(
        'USER_NOT_FOUND',
      );
      await server().post('/messages', { to: 'nobody', content: 'x' }).expect(404);
      expect((await server().post('/messages', { roomId: 'no-room', content: 'x' }).expect(404)).body.error.reason).toBe('ROOM_NOT_FOUND');
    });
  });

  describe('POST /users and POST /tokens', () => {
    it('provisions once per externalId; the minted token connects on both instances', async () => {
      const username = uniqueUsername('prov');
      const created = await server()
        .post('/users', { username, displayName: 'Prov', externalId: `ext-${username}` })
        .expect(201);
      const user = created.body as User;
      expect(user).toEqual({ id: expect.any(String), username, displayName: 'Prov', createdAt: expect.any(String) });
      const again = await server(b)
        .post('/users', { username: 'ignored-name', externalId: `ext-${username}` })
        .expect(201);
      expect(again.body).toEqual(user);
      expect((await server().post('/users', { username }).expect(409)).body.error.reason).toBe('USERNAME_TAKEN');

      const minted = await server().post('/tokens', { userId: user.id, expiresIn: 600 }).expect(200);
      expect(minted.body).toEqual({ accessToken: expect.any(String), expiresIn: 600 });
      const tab = await onB().connect(minted.body.accessToken as string);
      expect((await tab.waitFor('session')).user).toEqual(user);
      await request(a.url)
        .get('/users/me')
        .set({ authorization: `Bearer ${minted.body.accessToken}` })
        .expect(200, user);
      // No password logs in as a provisioned user.
      await request(a.url).post('/auth/login').send({ username, password: '!' }).expect(401);
      await request(a.url).post('/auth/login').send({ username, password: 'whatever-password' }).expect(401);
    });

    it('refuses bad input', async () => {
      for (const body of [
        {},
        { username: 'a' },
        { username: 'has space' },
        { username: 'okname', externalId: '' },
        { username: 'okname', password: 'x' },
      ]) {
        expect((await server().post('/users', body).expect(400)).body.error.code).toBe('BAD_REQUEST');
      }
      const { user } = await registerUser(a.url);
      for (const body of [
        {},
        { userId: user.id, expiresIn: 10 },
        { userId: user.id, expiresIn: '600' },
        { userId: user.id, expiresIn: 10_000_000 },
      ]) {
        await server().post('/tokens', body).expect(400);
      }
      await server().post('/tokens', { userId: 'nobody' }).expect(404);
      const plain = await server().post('/tokens', { userId: user.id }).expect(200);
      expect(plain.body.expiresIn).toBe(3600);
    });
  });

  describe('reads', () => {
    it('GET /users/:id/presence is the true presence, invisible included', async () => {
      const alice = await clients.signIn();
      await onB().connect(alice.token);
      await alice.client.ok('presence:set', { status: 'invisible' });
      const res = await server(b).get(`/users/${alice.user.id}/presence`).expect(200);
      expect(res.body as Presence).toMatchObject({ userId: alice.user.id, status: 'online', invisible: true, connections: 2 });
      await server().get('/users/nobody/presence').expect(404);
    });

    it('GET /rooms/:id counts connected members', async () => {
      const alice = await clients.signIn();
      const bob = await registerUser(a.url);
      const carol = await onB().signIn();
      const room = await alice.client.ok('room:create', { name: 'occupancy', members: [bob.user.id, carol.user.id] });
      const res = await server(b).get(`/rooms/${room.id}`).expect(200);
      expect(res.body).toEqual({ room: { ...room, memberCount: 3 }, onlineCount: 2, memberCount: 3 });
      expect((await server().get('/rooms/no-room').expect(404)).body.error.reason).toBe('ROOM_NOT_FOUND');
    });

    it('GET /modals/:modalId lists viewers and the exclusive holder', async () => {
      const alice = await clients.signIn();
      const bob = await onB().signIn();
      await server().get('/modals/invoice-1').expect(200, { modalId: 'invoice-1', viewers: [] });
      await alice.client.ok('modal:open', { modalId: 'invoice-1', exclusive: true });
      const res = await server(b).get('/modals/invoice-1').expect(200);
      expect(res.body).toEqual({
        modalId: 'invoice-1',
        viewers: [expect.objectContaining({ userId: alice.user.id, sessionId: alice.sessionId, exclusive: true })],
        lock: { holder: expect.objectContaining({ userId: alice.user.id, sessionId: alice.sessionId }), fencingToken: expect.any(Number) },
      });
      await bob.client.ok('modal:open', { modalId: 'invoice-2' });
      expect((await server().get('/modals/invoice-2').expect(200)).body.lock).toBeUndefined();
    });
  });

  describe('POST /users/:id/disconnect', () => {
    it('disconnects every socket of the user on both instances, or one session’s, and nobody else', async () => {
      const alice = await clients.signIn();
      const aliceOnB = await onB().connect(alice.token);
      const other = await onB().connect(alice.token);
      const bob = await clients.signIn();
      const oneSession = await server(a)
        .post(`/users/${alice.user.id}/disconnect`, { sessionId: (await other.waitFor('session')).sessionId })
        .expect(200);
      expect(oneSession.body).toEqual({ disconnected: 1 });
      // Bob's session id named for Alice disconnects nothing.
      expect((await server().post(`/users/${alice.user.id}/disconnect`, { sessionId: bob.sessionId }).expect(200)).body).toEqual({
        disconnected: 0,
      });
      const all = await server(b).post(`/users/${alice.user.id}/disconnect`, {}).expect(200);
      expect(all.body).toEqual({ disconnected: 2 });
      await settle();
      expect([alice.client.socket.connected, aliceOnB.socket.connected, other.socket.connected]).toEqual([false, false, false]);
      expect(bob.client.socket.connected).toBe(true);
      await server().post('/users/nobody/disconnect', {}).expect(404);
      await server().post(`/users/${alice.user.id}/disconnect`, { sessionId: 5 }).expect(400);
    });
  });

  describe('DELETE /users/:id', () => {
    it('expires and disconnects every socket, refuses the token everywhere, keeps messages authored by [deleted], frees the username', async () => {
      const alice = await clients.signIn();
      const aliceOnB = await onB().connect(alice.token);
      const bob = await onB().signIn();
      const room = await bob.client.ok('room:create', { name: 'with-alice', members: [alice.user.id] });
      const dm = await alice.client.ok('message:send', { to: bob.user.id, content: 'from alice' });
      await alice.client.ok('message:send', { roomId: room.id, content: 'alice in room' });

      await server(b).delete(`/users/${alice.user.id}`).expect(204);
      for (const tab of [alice.client, aliceOnB]) {
        expect(await tab.waitFor('session:expired')).toEqual({ reason: 'deleted' });
      }
      await settle();
      expect([alice.client.socket.connected, aliceOnB.socket.connected]).toEqual([false, false]);
      expect(bob.client.socket.connected).toBe(true);
      // Bob sees her leave the room.
      expect(await bob.client.waitFor('room:member-left')).toEqual({ roomId: room.id, userId: alice.user.id, reason: 'deleted' });

      for (const app of [a, b]) {
        expect((await connectError(app.url, { auth: { token: alice.token } })).data?.code).toBe('UNAUTHORIZED');
        await request(app.url)
          .get('/users/me')
          .set({ authorization: `Bearer ${alice.token}` })
          .expect(401);
      }
      await request(a.url).post('/auth/login').send({ username: alice.user.username, password: alice.password }).expect(401);

      const history = await bob.client.ok('message:history', { conversationId: dm.conversationId });
      expect(history.messages.map((m) => m.from)).toEqual([{ id: alice.user.id, username: '[deleted]' }]);
      const roomHistory = await bob.client.ok('message:history', { conversationId: `room:${room.id}` });
      expect(roomHistory.messages.map((m) => m.from.username)).toEqual(['[deleted]']);
      expect((await server().get(`/rooms/${room.id}`).expect(200)).body.memberCount).toBe(1);

      // The name is free; the new account's messages are its own, the old ones stay [deleted].
      const again = await registerUser(a.url, alice.user.username);
      expect(again.user.id).not.toBe(alice.user.id);
      const after = await bob.client.ok('message:history', { conversationId: dm.conversationId });
      expect(after.messages.map((m) => m.from.username)).toEqual(['[deleted]']);

      await server().delete(`/users/${alice.user.id}`).expect(404);
      await server().get(`/users/${alice.user.id}/presence`).expect(404);
      await server().post('/tokens', { userId: alice.user.id }).expect(404);
      const users = await request(a.url)
        .get(`/users?search=${alice.user.username}`)
        .set({ authorization: `Bearer ${bob.token}` })
        .expect(200);
      expect(users.body.users.map((u: User) => u.id)).toEqual([again.user.id]);
    });

    it('answers 404 for an unknown user and for the system user', async () => {
      await server().delete('/users/nobody').expect(404);
      await server()
        .post('/messages', { to: (await registerUser(a.url)).user.id, content: 'make system' })
        .expect(201);
      await server().delete('/users/system').expect(404);
    });
  });
});
