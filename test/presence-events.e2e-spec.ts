import type { Kysely } from 'kysely';
import request from 'supertest';
import type { UserWithPresence } from '../src/contracts';
import { DATABASE } from '../src/storage/database.module';
import type { TestApp } from './support/app';
import { ClientTracker, settle, type SignedIn } from './support/clients';
import { AFTER_GRACE_MS, startPresenceApp, updatesAbout } from './support/presence';

async function usersApi(t: TestApp, viewer: SignedIn, username: string): Promise<UserWithPresence | undefined> {
  const res = await request(t.url).get(`/users?search=${username}`).set('authorization', `Bearer ${viewer.token}`).expect(200);
  return (res.body as { users: UserWithPresence[] }).users.find((u) => u.username === username);
}

describe('presence: set, invisible, list and bad input', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startPresenceApp();
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t?.close());

  it('delivers away/busy and status text once per real change to subscribers, the true state to the other tabs', async () => {
    const watcher = await clients.signIn();
    const bystander = await clients.signIn();
    const alice = await clients.signIn();
    const aliceTab2 = await clients.signIn(alice);
    await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id] });

    const ack = await alice.client.ok('presence:set', { status: 'away', statusText: '  lunch  ' });
    expect(ack).toEqual({ userId: alice.user.id, username: alice.user.username, status: 'away', statusText: 'lunch', connections: 2 });
    expect(await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id)).toEqual(ack);
    expect(await aliceTab2.client.waitFor('presence:update')).toEqual(ack);

    // The same status again is no change; only the text changing is one.
    await alice.client.ok('presence:set', { status: 'away', statusText: 'lunch' });
    await alice.client.ok('presence:set', { status: 'away', statusText: 'back at 2' });
    await watcher.client.waitFor('presence:update', (p) => p.statusText === 'back at 2');
    await alice.client.ok('presence:set', { status: 'busy' });
    const busy = await watcher.client.waitFor('presence:update', (p) => p.status === 'busy');
    expect(busy.statusText).toBeUndefined();
    await settle();

    expect(updatesAbout(watcher.client, alice.user.id).map((p) => [p.status, p.statusText])).toEqual([
      ['away', 'lunch'],
      ['away', 'back at 2'],
      ['busy', undefined],
    ]);
    expect(aliceTab2.client.all('presence:update')).toHaveLength(3);
    expect(alice.client.all('presence:update')).toEqual([]);
    expect(bystander.client.all('presence:update')).toEqual([]);
    expect((await usersApi(t, watcher, alice.user.username))?.presence).toEqual({
      userId: alice.user.id,
      username: alice.user.username,
      status: 'busy',
      connections: 2,
    });
  });

  it('shows an invisible user as offline to everyone else and their true state to themselves', async () => {
    const watcher = await clients.signIn();
    const allWatcher = await clients.signIn();
    const alice = await clients.signIn();
    const aliceTab2 = await clients.signIn(alice);
    await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id] });
    await allWatcher.client.ok('presence:subscribe', { all: true });

    const own = await alice.client.ok('presence:set', { status: 'invisible', statusText: 'hiding' });
    expect(own).toEqual({
      userId: alice.user.id,
      username: alice.user.username,
      status: 'online',
      invisible: true,
      statusText: 'hiding',
      connections: 2,
    });
    const seen = await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id);
    expect(seen).toEqual({
      userId: alice.user.id,
      username: alice.user.username,
      status: 'offline',
      connections: 0,
      lastSeenAt: expect.any(String),
    });
    expect(await allWatcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id)).toEqual(seen);
    expect(await aliceTab2.client.waitFor('presence:update')).toEqual(own);

    // Others: offline everywhere. Alice: her true state everywhere.
    expect((await watcher.client.ok('presence:list', { userIds: [alice.user.id] })).users).toEqual([seen]);
    expect((await watcher.client.ok('presence:list', {})).users.map((p) => p.userId)).not.toContain(alice.user.id);
    expect((await watcher.client.ok('presence:subscribe', { all: true })).users.map((p) => p.userId)).not.toContain(alice.user.id);
    expect((await usersApi(t, watcher, alice.user.username))?.presence).toEqual(seen);
    expect((await alice.client.ok('presence:list', { userIds: [alice.user.id] })).users).toEqual([own]);
    expect((await usersApi(t, alice, alice.user.username))?.presence).toEqual(own);

    // Text changes, a new tab and closing tabs are invisible too.
    await alice.client.ok('presence:set', { status: 'invisible', statusText: 'still hiding' });
    const tab3 = await clients.signIn(alice);
    tab3.client.close();
    aliceTab2.client.close();
    await settle(AFTER_GRACE_MS);
    expect(updatesAbout(watcher.client, alice.user.id)).toHaveLength(1);

    await alice.client.ok('presence:set', { status: 'online' });
    const back = await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id && p.status === 'online');
    expect(back).toEqual({ userId: alice.user.id, username: alice.user.username, status: 'online', connections: 1 });
  });

  it('emits no offline when an invisible user leaves, and a returning user starts online again', async () => {
    const watcher = await clients.signIn();
    const alice = await clients.signIn();
    await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id] });
    await alice.client.ok('presence:set', { status: 'invisible' });
    await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id);
    alice.client.close();
    await settle(AFTER_GRACE_MS);
    expect(updatesAbout(watcher.client, alice.user.id)).toHaveLength(1);

    await clients.signIn(alice);
    const online = await watcher.client.waitFor('presence:update', (p) => p.userId === alice.user.id && p.status === 'online');
    expect(online.connections).toBe(1);
  });

  it("lists online users, named users (unknown ids left out) and a room's members for members only", async () => {
    const viewer = await clients.signIn();
    const online = await clients.signIn();
    const offline = await clients.user(0);
    const outsider = await clients.signIn();

    const everyone = (await viewer.client.ok('presence:list', {})).users;
    expect(everyone.map((p) => p.userId)).toEqual(expect.arrayContaining([viewer.user.id, online.user.id]));
    expect(everyone.map((p) => p.userId)).not.toContain(offline.user.id);

    const named = await viewer.client.ok('presence:list', { userIds: [offline.user.id, 'nobody', online.user.id] });
    expect(named.users.map((p) => [p.userId, p.status])).toEqual([
      [offline.user.id, 'offline'],
      [online.user.id, 'online'],
    ]);

    const db = t.app.get<Kysely<any>>(DATABASE); // eslint-disable-line @typescript-eslint/no-explicit-any
    const now = new Date().toISOString();
    for (const [id, visibility] of [
      ['r-public', 'public'],
      ['r-private', 'private'],
    ]) {
      await db.insertInto('rooms').values({ id, name: id, visibility, owner_id: viewer.user.id, created_at: now }).execute();
      await db
        .insertInto('room_members')
        .values([viewer.user.id, offline.user.id].map((user_id) => ({ room_id: id, user_id, role: 'member', joined_at: now })))
        .execute();
    }
    const members = await viewer.client.ok('presence:list', { roomId: 'r-public' });
    expect(members.users.map((p) => p.userId).sort()).toEqual([viewer.user.id, offline.user.id].sort());

    expect(await outsider.client.request('presence:list', { roomId: 'r-public' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await outsider.client.request('presence:list', { roomId: 'r-private' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await viewer.client.request('presence:list', { roomId: 'no-such-room' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('answers bad input on every presence event with BAD_REQUEST and field details, and keeps serving', async () => {
    const alice = await clients.signIn();
    const watcher = await clients.signIn();
    const tooMany = Array.from({ length: 501 }, (_, i) => `id-${i}`);
    const cases: [string, unknown, string][] = [
      ['presence:subscribe', {}, 'userIds'],
      ['presence:subscribe', { userIds: [] }, 'userIds'],
      ['presence:subscribe', { userIds: 'x' }, 'userIds'],
      ['presence:subscribe', { userIds: [1] }, 'userIds'],
      ['presence:subscribe', { userIds: tooMany }, 'userIds'],
      ['presence:subscribe', { all: 'yes' }, 'all'],
      ['presence:subscribe', { all: true, socketId: 'other' }, 'socketId'],
      ['presence:unsubscribe', { all: false }, 'userIds'],
      ['presence:unsubscribe', { userIds: [''] }, 'userIds'],
      ['presence:list', { roomId: '' }, 'roomId'],
      ['presence:list', { userIds: tooMany }, 'userIds'],
      ['presence:list', { roomId: 'r', userIds: [alice.user.id] }, 'roomId'],
      ['presence:set', {}, 'status'],
      ['presence:set', { status: 'offline' }, 'status'],
      ['presence:set', { status: 'away', statusText: 'x'.repeat(141) }, 'statusText'],
      ['presence:set', { status: 'away', statusText: 42 }, 'statusText'],
      // Nobody sets another user's presence: there is no field to name them.
      ['presence:set', { status: 'away', userId: watcher.user.id }, 'userId'],
    ];
    await watcher.client.ok('presence:subscribe', { userIds: [alice.user.id] });
    for (const [event, payload, field] of cases) {
      const ack = await alice.client.request(event as 'presence:list', payload);
      expect({ event, payload, ack }).toMatchObject({
        ack: { ok: false, error: { code: 'BAD_REQUEST', details: expect.arrayContaining([expect.objectContaining({ field })]) } },
      });
    }
    for (const event of ['presence:subscribe', 'presence:unsubscribe', 'presence:list', 'presence:set']) {
      expect(await alice.client.request(event as 'presence:list', 'not an object')).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
    }
    await settle();
    expect(updatesAbout(watcher.client, alice.user.id)).toEqual([]);
    expect(alice.client.socket.connected).toBe(true);
    expect((await alice.client.ok('presence:set', { status: 'away', statusText: 'x'.repeat(140) })).status).toBe('away');
  });
});
