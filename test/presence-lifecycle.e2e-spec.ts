import request from 'supertest';
import type { UserWithPresence } from '../src/contracts';
import type { TestApp } from './support/app';
import { ClientTracker, connect, settle } from './support/clients';
import { AFTER_GRACE_MS, GRACE_MS, startPresenceApp, updatesAbout } from './support/presence';

describe('presence: online, offline, tabs and the grace period', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startPresenceApp();
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t?.close());

  it('announces a user with two tabs once, ignores closing one tab, and turns them offline after the grace period', async () => {
    const watcher = await clients.signIn();
    const alice = await clients.user(0);
    const ack = await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id] });
    expect(ack.users).toEqual([{ userId: alice.user.id, username: alice.user.username, status: 'offline', connections: 0 }]);

    const tab1 = await clients.signIn(alice);
    const online = await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id);
    expect(online).toEqual({ userId: alice.user.id, username: alice.user.username, status: 'online', connections: 1 });

    const tab2 = await clients.signIn(alice);
    const listed = await watcher.client.ok('presence:list', { userIds: [alice.user.id] });
    expect(listed.users[0]).toMatchObject({ status: 'online', connections: 2 });

    tab1.client.close();
    await settle(AFTER_GRACE_MS);
    expect(updatesAbout(watcher.client, alice.user.id)).toHaveLength(1);
    expect((await watcher.client.ok('presence:list', { userIds: [alice.user.id] })).users[0]).toMatchObject({
      status: 'online',
      connections: 1,
    });

    const closedAt = Date.now();
    tab2.client.close();
    const offline = await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id && p.status === 'offline');
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS - 20);
    expect(offline).toEqual({
      userId: alice.user.id,
      username: alice.user.username,
      status: 'offline',
      connections: 0,
      lastSeenAt: expect.any(String),
    });
    expect(Math.abs(Date.parse(offline.lastSeenAt!) - Date.now())).toBeLessThan(5000);
    await settle();
    expect(updatesAbout(watcher.client, alice.user.id)).toHaveLength(2);
  });

  it('emits nothing for a reload inside the grace period and counts connections right', async () => {
    const watcher = await clients.signIn();
    const alice = await clients.user(0);
    await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id] });
    const first = await clients.signIn(alice);
    await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id);

    first.client.close();
    await settle(50);
    const reloaded = await clients.signIn(alice, { sessionId: first.sessionId });
    expect(reloaded.sessionId).toBe(first.sessionId);
    await settle(AFTER_GRACE_MS);

    expect(updatesAbout(watcher.client, alice.user.id)).toHaveLength(1);
    const { users } = await watcher.client.ok('presence:list', { userIds: [alice.user.id] });
    expect(users).toEqual([{ userId: alice.user.id, username: alice.user.username, status: 'online', connections: 1 }]);
  });

  it('sends presence:update only to subscribed sockets, not to other users or other tabs of the subscriber', async () => {
    const watcher = await clients.signIn();
    const watcherOtherTab = await clients.signIn(watcher);
    const bystander = await clients.signIn();
    const alice = await clients.user(0);
    await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id] });

    const aliceTab = await clients.signIn(alice);
    await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id);
    await settle();
    expect(bystander.client.all('presence:update')).toEqual([]);
    expect(watcherOtherTab.client.all('presence:update')).toEqual([]);
    expect(aliceTab.client.all('presence:update')).toEqual([]);
  });

  it('with `all`, answers every online user and then reports everybody', async () => {
    const watcher = await clients.signIn();
    const already = await clients.signIn();
    const ack = await watcher.client.ok('presence:subscribe', { all: true });
    const ids = ack.users.map((p) => p.userId);
    expect(ids).toEqual(expect.arrayContaining([watcher.user.id, already.user.id]));
    expect(ack.users.every((p) => p.status !== 'offline')).toBe(true);

    const newcomer = await clients.signIn();
    const online = await watcher.client.waitFor('presence:update', (p) => p.userId === newcomer.user.id);
    expect(online.status).toBe('online');
    newcomer.client.close();
    const offline = await watcher.client.waitFor('presence:update', (p) => p.userId === newcomer.user.id && p.status === 'offline');
    expect(offline.lastSeenAt).toEqual(expect.any(String));
  });

  it('ignores unknown user ids in subscribe (absent from the ack) and delivers once to a socket subscribed twice', async () => {
    const watcher = await clients.signIn();
    const alice = await clients.user(0);
    const ack = await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id, 'no-such-user', alice.user.id] });
    expect(ack.users.map((p) => p.userId)).toEqual([alice.user.id]);
    await watcher.client.ok('presence:subscribe', { all: true });

    await clients.signIn(alice);
    await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id);
    await settle();
    expect(updatesAbout(watcher.client, alice.user.id)).toHaveLength(1);
  });

  it('stops updates after unsubscribe, for named users and for `all`', async () => {
    const watcher = await clients.signIn();
    const [alice, bob, carol] = await Promise.all([clients.user(0), clients.user(0), clients.user(0)]);
    await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id, bob.user.id] });
    expect(await watcher.client.ok('presence:unsubscribe', { userIds: [alice.user.id] })).toEqual({});

    await clients.signIn(alice);
    await clients.signIn(bob);
    await watcher.client.waitFor('presence:update', (p) => p.userId === bob.user.id);
    await settle();
    expect(updatesAbout(watcher.client, alice.user.id)).toEqual([]);

    // `all: true` drops every subscription of the socket, named users included.
    await watcher.client.ok('presence:subscribe', { all: true });
    await watcher.client.ok('presence:unsubscribe', { all: true });
    const proof = await clients.signIn();
    await proof.client.ok('presence:subscribe', { userIds: [carol.user.id] });
    await clients.signIn(carol);
    await proof.client.waitFor('presence:update', (p) => p.userId === carol.user.id);
    await settle();
    expect(updatesAbout(watcher.client, carol.user.id)).toEqual([]);
    expect(updatesAbout(watcher.client, bob.user.id)).toHaveLength(1);
  });

  it('keeps last seen across a restart, on GET /users and presence:list', async () => {
    const own = await startPresenceApp();
    let restarted: TestApp | undefined;
    try {
      const onOwn = clients.at(own.url);
      const watcher = await onOwn.signIn();
      const alice = await onOwn.user(0);
      await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id] });
      const tab = await onOwn.signIn(alice);
      tab.client.close();
      const offline = await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id && p.status === 'offline');
      clients.closeAll();
      await own.stop();

      restarted = await startPresenceApp({ database: { url: own.databaseUrl, drop: async () => undefined } });
      const res = await request(restarted.url)
        .get(`/users?search=${alice.user.username}`)
        .set('authorization', `Bearer ${watcher.token}`)
        .expect(200);
      const listed = (res.body as { users: UserWithPresence[] }).users.find((u) => u.id === alice.user.id);
      expect(listed?.presence).toEqual({
        userId: alice.user.id,
        username: alice.user.username,
        status: 'offline',
        connections: 0,
        lastSeenAt: offline.lastSeenAt,
      });
      const viewer = await connect(restarted.url, watcher.token);
      try {
        expect((await viewer.ok('presence:list', { userIds: [alice.user.id] })).users[0].lastSeenAt).toBe(offline.lastSeenAt);
      } finally {
        viewer.close();
      }
    } finally {
      await restarted?.stop();
      await own.close();
    }
  });
});
