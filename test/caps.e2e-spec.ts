import { startApp, type TestApp } from './support/app';
import { connect, registerUser, type TestClient } from './support/clients';

/** Per-user, per-socket and per-session caps: FORBIDDEN with details.limit, nothing half-done. */
describe('caps on rooms, presence subscriptions and open modals', () => {
  let t: TestApp;
  const open: TestClient[] = [];
  beforeAll(async () => {
    t = await startApp({ env: { MAX_ROOMS_PER_USER: '2', MAX_PRESENCE_SUBSCRIPTIONS: '3', MAX_OPEN_MODALS: '2' } });
  });
  afterEach(() => open.splice(0).forEach((c) => c.close()));
  afterAll(() => t.close());

  const signIn = async () => {
    const user = await registerUser(t.url);
    const client = await connect(t.url, user.token);
    open.push(client);
    return { ...user, client };
  };

  it('refuses creating or joining a room beyond MAX_ROOMS_PER_USER', async () => {
    const alice = await signIn();
    const bob = await signIn();
    await alice.client.ok('room:create', { name: 'one' });
    await alice.client.ok('room:create', { name: 'two' });
    const third = await alice.client.request('room:create', { name: 'three' });
    expect(third).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 2 } } });
    const bobsRoom = await bob.client.ok('room:create', { name: 'bobs' });
    const join = await alice.client.request('room:join', { roomId: bobsRoom.id });
    expect(join).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 2 } } });
    expect((await alice.client.ok('room:list', { scope: 'joined' })).rooms.map((r) => r.name).sort()).toEqual(['one', 'two']);
    expect((await bob.client.ok('room:join', { roomId: bobsRoom.id })).room.memberCount).toBe(1);
  });

  it('refuses presence subscriptions beyond MAX_PRESENCE_SUBSCRIPTIONS per socket, and subscribes none of that call', async () => {
    const watcher = await signIn();
    const users = await Promise.all([1, 2, 3, 4].map(() => registerUser(t.url)));
    await watcher.client.ok('presence:subscribe', { userIds: users.slice(0, 2).map((u) => u.user.id) });
    const over = await watcher.client.request('presence:subscribe', { userIds: users.slice(2).map((u) => u.user.id) });
    expect(over).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 3 } } });
    // Re-subscribing to what it has costs nothing; one more still fits.
    await watcher.client.ok('presence:subscribe', { userIds: [users[0].user.id, users[2].user.id] });
    const target = await connect(t.url, users[3].token);
    open.push(target);
    await new Promise((r) => setTimeout(r, 200));
    expect(watcher.client.all('presence:update').filter((p) => p.userId === users[3].user.id)).toEqual([]);
  });

  it('refuses opening more than MAX_OPEN_MODALS in one session, and announces nothing for it', async () => {
    const alice = await signIn();
    const bob = await signIn();
    await alice.client.ok('modal:open', { modalId: 'cap-a' });
    await alice.client.ok('modal:open', { modalId: 'cap-b' });
    const third = await alice.client.request('modal:open', { modalId: 'cap-c' });
    expect(third).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { limit: 2 } } });
    await bob.client.waitFor('modal:opened', (e) => e.modalId === 'cap-b');
    await new Promise((r) => setTimeout(r, 150));
    expect(bob.client.all('modal:opened').filter((e) => e.modalId === 'cap-c')).toEqual([]);
    expect((await bob.client.ok('modal:list', { modalId: 'cap-c' })).modals).toEqual([]);
  });
});
