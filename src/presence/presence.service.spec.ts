import { WebhookOutbox } from '../webhooks/webhook-outbox';
import type { Db } from '../storage/database';
import { AccessService } from '../access/access.service';
import type { Presence } from '../contracts';
import { loadConfig } from '../config/app-config';
import { RealtimeService } from '../realtime/realtime.service';
import { InMemoryConnectionStore } from '../realtime/connections/in-memory-connection-store';
import { GracePeriods } from '../realtime/grace/grace-periods';
import { InMemoryGraceDeadlines } from '../realtime/grace/in-memory-grace-deadlines';
import { automock } from '../testing/automock';
import { fakeSocket, fakeSocketUser as alice } from '../testing/fake-socket';
import { UsersRepository } from '../users/users.repository';
import { type PresenceStore } from './presence.store';
import { InMemoryPresenceStore } from './in-memory-presence.store';
import { LastSeenRecorder } from './last-seen.recorder';
import { PresenceService, view } from './presence.service';
import { SocketRoomPresenceSubscriptions } from './presence-subscriptions';

const row = (id: string, username: string, last_seen_at: string | null = null) => ({
  id,
  username,
  display_name: username,
  password_hash: 'x',
  created_at: 'x',
  last_seen_at,
  external_id: null,
  deleted_at: null,
  tokens_valid_after: null,
});

describe('PresenceService', () => {
  const setup = (store: PresenceStore = new InMemoryPresenceStore()) => {
    // Real setImmediate: the last-seen batches yield with it between them.
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const connections = new InMemoryConnectionStore();
    const users = automock(UsersRepository);
    users.findByIds.mockImplementation(async (ids) => ids.filter((id) => id === 'u1').map(() => row('u1', 'alice')));
    // Like the repository: the users it wrote, those that exist (only u1 here).
    users.setLastSeen.mockImplementation(async (ids) => ids.filter((id) => id === 'u1').map(() => row('u1', 'alice')));
    const local = new Set<string>();
    const realtime = automock(RealtimeService);
    realtime.emit.mockReturnValue(undefined);
    realtime.localUserIds.mockImplementation(() => new Set(local));
    const subscriptions = automock(SocketRoomPresenceSubscriptions);
    subscriptions.add.mockResolvedValue(1);
    subscriptions.countAfter.mockReturnValue(1);
    // Whom a room's member page names is AccessService's to decide (its own spec); here only the page matters.
    const access = automock(AccessService);
    access.blockedBy.mockResolvedValue([]);
    access.takeBlockedAtConnect.mockReturnValue(undefined);
    access.blockersAmong.mockResolvedValue(new Set());
    const config = loadConfig({ PRESENCE_GRACE_MS: '1000', MAX_PRESENCE_SUBSCRIPTIONS: '3', LAST_SEEN_FLUSH_MS: '60000' });
    const grace = new GracePeriods(new InMemoryGraceDeadlines(), config);
    const service = new PresenceService(
      connections,
      store,
      subscriptions,
      access as unknown as AccessService,
      config,
      users as unknown as UsersRepository,
      realtime as unknown as RealtimeService,
      grace,
      new WebhookOutbox(config, {} as Db),
    );
    const recorder = new LastSeenRecorder(
      store,
      config,
      users as unknown as UsersRepository,
      realtime as unknown as RealtimeService,
      service,
    );
    const socketEntry = (id: string) => ({ socketId: id, userId: 'u1', sessionId: `s-${id}` });
    const connect = async (id: string) => {
      const counts = await connections.add(socketEntry(id));
      await service.connected(fakeSocket(id), counts);
    };
    const disconnect = async (id: string) => {
      const counts = await connections.remove(socketEntry(id));
      await service.disconnected({ socketId: id, userId: alice.id, sessionId: `s-${id}` }, counts);
    };
    const updates = () => realtime.emit.mock.calls.filter((c) => c[0][0] === 'presence:u1').map((c) => c[2] as Presence);
    return { service, grace, recorder, users, realtime, subscriptions, access, connect, disconnect, updates, local, store, connections };
  };
  afterEach(() => jest.useRealTimers());

  it("announces online once for several tabs, to the subscriber rooms minus the user's own sockets", async () => {
    const { connect, realtime, updates } = setup();
    await connect('a');
    await connect('b');
    expect(updates()).toEqual([{ userId: 'u1', username: 'alice', status: 'online', connections: 1 }]);
    expect(realtime.emit).toHaveBeenCalledWith(['presence:u1', 'presence:all'], 'presence:update', expect.anything(), ['user:u1']);
  });

  it('leaves out the users blocked as read with the socket’s rooms, without reading them again; later changes read them', async () => {
    const { connect, disconnect, realtime, access, grace } = setup();
    access.takeBlockedAtConnect.mockReturnValueOnce(['u7', 'u8']);
    await connect('a');
    expect(realtime.emit).toHaveBeenLastCalledWith(['presence:u1', 'presence:all'], 'presence:update', expect.anything(), [
      'user:u1',
      'user:u7',
      'user:u8',
    ]);
    expect(access.blockedBy).not.toHaveBeenCalled();
    // Taken by every socket's connect, not only the first one's, so no socket keeps it.
    await connect('b');
    expect(access.takeBlockedAtConnect).toHaveBeenCalledTimes(2);
    await disconnect('a');
    await disconnect('b');
    access.blockedBy.mockResolvedValueOnce(['u7']);
    await jest.advanceTimersByTimeAsync(1000);
    expect(access.blockedBy).toHaveBeenCalledWith('u1');
    expect(realtime.emit).toHaveBeenLastCalledWith(['presence:u1', 'presence:all'], 'presence:update', expect.anything(), [
      'user:u1',
      'user:u7',
    ]);
    grace.onApplicationShutdown();
  });

  it('turns offline only after the grace period, writing last seen once', async () => {
    const { connect, disconnect, updates, users, grace } = setup();
    await connect('a');
    await disconnect('a');
    await jest.advanceTimersByTimeAsync(999);
    expect(updates()).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(users.setLastSeen).toHaveBeenCalledTimes(1);
    expect(updates()[1]).toEqual({ userId: 'u1', username: 'alice', status: 'offline', connections: 0, lastSeenAt: expect.any(String) });
    grace.onApplicationShutdown();
  });

  it('tells nobody that a user deleted during the grace period went offline, and drops their record', async () => {
    const { connect, disconnect, updates, users, grace, store } = setup();
    await connect('a');
    await disconnect('a');
    users.setLastSeen.mockResolvedValue([]); // the account is gone: the write finds no one
    await jest.advanceTimersByTimeAsync(1000);
    expect(users.setLastSeen).toHaveBeenCalledWith(['u1'], expect.any(String));
    expect(updates()).toHaveLength(1);
    expect((await store.get(['u1'])).size).toBe(0);
    grace.onApplicationShutdown();
  });

  it('decides users whose grace periods end together in one batch: one socket count, one last-seen write', async () => {
    const { service, connections, users, grace } = setup();
    const ids = ['u1', 'u2', 'u3'];
    for (const id of ids) {
      const entry = { socketId: `sock-${id}`, userId: id, sessionId: `s-${id}` };
      const user = { ...alice, id, username: id };
      await service.connected(fakeSocket(entry.socketId, { user, sessionId: entry.sessionId }), await connections.add(entry));
    }
    for (const id of ids) {
      const entry = { socketId: `sock-${id}`, userId: id, sessionId: `s-${id}` };
      await service.disconnected(entry, await connections.remove(entry));
    }
    // u2 has a socket again, on another instance (this one's timer still runs): the count keeps it online.
    await connections.add({ socketId: 'elsewhere', userId: 'u2', sessionId: 's-u2-b' });
    const count = jest.spyOn(connections, 'countByUser');
    await jest.advanceTimersByTimeAsync(1000);
    expect(count.mock.calls).toEqual([[['u1', 'u2', 'u3']]]);
    expect(users.setLastSeen.mock.calls).toEqual([[['u1', 'u3'], expect.any(String)]]);
    grace.onApplicationShutdown();
  });

  it('emits nothing when the user comes back inside the grace period', async () => {
    const { connect, disconnect, updates, users } = setup();
    await connect('a');
    await disconnect('a');
    await connect('b');
    await jest.advanceTimersByTimeAsync(5000);
    expect(updates()).toHaveLength(1);
    expect(users.setLastSeen).not.toHaveBeenCalled();
  });

  it('re-checks the store when the timer fires: a connect elsewhere (new epoch) keeps the user online', async () => {
    const store = new InMemoryPresenceStore();
    const { connect, disconnect, updates } = setup(store);
    await connect('a');
    await disconnect('a');
    await store.connect('u1'); // another instance saw a socket; this one's connection store did not
    await jest.advanceTimersByTimeAsync(5000);
    expect(updates()).toHaveLength(1);
    expect(await store.get(['u1'])).toEqual(new Map([['u1', { status: 'online' }]]));
  });

  it('clears grace timers on shutdown so nothing fires afterwards', async () => {
    const { connect, disconnect, updates, grace } = setup();
    await connect('a');
    await disconnect('a');
    grace.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(5000);
    expect(updates()).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("publishes a set once per visible change and the true state to the user's other tabs", async () => {
    const { connect, service, realtime, updates, users } = setup();
    await connect('a');
    const socket = fakeSocket('a');
    await service.set(socket, 'away', 'lunch');
    await service.set(socket, 'away', 'lunch');
    const own = await service.set(socket, 'invisible', 'hiding');
    expect(own).toEqual({ userId: 'u1', username: 'alice', status: 'online', invisible: true, statusText: 'hiding', connections: 1 });
    await service.set(socket, 'invisible', 'still hiding');
    expect(updates().map((p) => [p.status, p.statusText])).toEqual([
      ['online', undefined],
      ['away', 'lunch'],
      ['offline', undefined],
    ]);
    expect(users.setLastSeen).toHaveBeenCalledTimes(1);
    const selfUpdates = realtime.emit.mock.calls.filter((c) => c[0] === 'user:u1');
    expect(selfUpdates.map((c) => (c[2] as Presence).statusText)).toEqual(['lunch', 'hiding', 'still hiding']);
    expect(selfUpdates.every((c) => c[3] === 'a')).toBe(true);
  });

  it('subscribes only to known users and refuses an empty target', async () => {
    const { service, subscriptions } = setup();
    const socket = fakeSocket('a');
    const ack = await service.subscribe(socket, { userIds: ['u1', 'ghost'], all: false });
    expect(subscriptions.add).toHaveBeenCalledWith(socket, { userIds: ['u1'], all: false });
    expect(ack.users.map((p) => p.userId)).toEqual(['u1']);
    await expect(service.subscribe(socket, { userIds: [], all: false })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('lists a room through AccessService and refuses roomId with userIds', async () => {
    const { service, access } = setup();
    access.roomMemberIds.mockResolvedValue({ ids: ['u1'], hasMore: true, next: 'cursor' });
    const page = await service.list(alice, { roomId: 'r1' });
    expect(page.users.map((p) => p.userId)).toEqual(['u1']);
    expect(page).toMatchObject({ hasMore: true, next: 'cursor' });
    expect(access.roomMemberIds).toHaveBeenCalledWith('u1', 'r1', { after: undefined, limit: 100 });
    await service.list(alice, { roomId: 'r1', after: 'cursor', limit: 7 });
    expect(access.roomMemberIds).toHaveBeenLastCalledWith('u1', 'r1', { after: 'cursor', limit: 7 });
    await expect(service.list(alice, { roomId: 'r1', userIds: ['u1'] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
  it("pages online users: reads only the page's users from the database and points at the next page", async () => {
    const store = new InMemoryPresenceStore();
    const { service, users } = setup(store);
    const ids = Array.from({ length: 1000 }, (_, i) => `u${String(i).padStart(4, '0')}`);
    for (const id of ids) await store.connect(id);
    await store.update('u0003', { status: 'invisible' });
    users.findByIds.mockImplementation(async (wanted) => wanted.map((id) => row(id, `name-${id}`)));

    const first = await service.list(alice, { limit: 10 });
    expect(users.findByIds).toHaveBeenCalledTimes(1);
    expect(users.findByIds).toHaveBeenCalledWith(ids.slice(0, 10));
    // Someone else's invisible user is left out; the page still ends where the store's page ended.
    expect(first.users.map((p) => p.userId)).toEqual(ids.slice(0, 10).filter((id) => id !== 'u0003'));
    expect(first).toMatchObject({ hasMore: true, next: 'u0009' });
    const last = await service.list(alice, { after: 'u0995', limit: 10 });
    expect(last).toEqual({ users: expect.any(Array), hasMore: false });
    expect(last.users.map((p) => p.userId)).toEqual(ids.slice(996));

    // subscribe { all } answers the first 500 only.
    users.findByIds.mockClear();
    const snapshot = await service.subscribe(fakeSocket('a'), { userIds: [], all: true });
    expect(snapshot.users).toHaveLength(499);
    expect(snapshot).toMatchObject({ hasMore: true, next: 'u0499' });
    expect(Math.max(...users.findByIds.mock.calls.map(([wanted]) => wanted.length))).toBe(500);
    await expect(service.list(alice, { userIds: ['u0001'], limit: 5 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('writes last seen every LAST_SEEN_FLUSH_MS for the users it holds, in batches, never for invisible users', async () => {
    const store = new InMemoryPresenceStore();
    const { recorder, users, local, connect, disconnect } = setup(store);
    recorder.onApplicationBootstrap();
    for (let i = 0; i < 600; i++) {
      local.add(`h${i}`);
      await store.connect(`h${i}`);
    }
    await store.update('h7', { status: 'invisible' });
    await jest.advanceTimersByTimeAsync(59_500);
    expect(users.setLastSeen).not.toHaveBeenCalled();
    await connect('a');
    await disconnect('a'); // u1 is in its grace period (1 s) at the next write: held too
    // The batches yield to the event loop (setImmediate) between them.
    const tick = async (ms: number) => {
      await jest.advanceTimersByTimeAsync(ms);
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    await tick(500);
    const written = users.setLastSeen.mock.calls.flatMap(([ids]) => ids);
    expect(new Set(written)).toEqual(new Set([...[...local].filter((id) => id !== 'h7'), 'u1']));
    expect(written).toHaveLength(600);
    expect(Math.max(...users.setLastSeen.mock.calls.map(([ids]) => ids.length))).toBeLessThanOrEqual(250);
    users.setLastSeen.mockClear();
    await tick(60_000); // u1's grace ran out meanwhile (and wrote its own last seen then)
    expect(users.setLastSeen.mock.calls.flatMap(([ids]) => ids).filter((id) => id !== 'u1')).toHaveLength(599);
    await recorder.onModuleDestroy();
    await recorder.onApplicationShutdown();
  });

  it('writes last seen on shutdown for users with sockets here and users in their grace period, once each', async () => {
    const { recorder, users, local, connect, disconnect } = setup();
    local.add('u1');
    await connect('a');
    await connect('b');
    await disconnect('b');
    await recorder.onModuleDestroy();
    expect(users.setLastSeen).toHaveBeenCalledTimes(1);
    expect(users.setLastSeen).toHaveBeenCalledWith(['u1'], expect.any(String));
    // The hand-over closes the socket (grace timer now); the final hook does not write u1 again.
    local.clear();
    await disconnect('a');
    await recorder.onApplicationShutdown();
    expect(users.setLastSeen).toHaveBeenCalledTimes(1);
  });
});

describe('view', () => {
  const user = { id: 'u1', username: 'alice' };
  it('shows an invisible user offline to others and online + invisible to themselves', () => {
    const state = { status: 'invisible' as const, statusText: 'shh' };
    expect(view(user, state, 2, '2026-01-01T00:00:00.000Z', false)).toEqual({
      userId: 'u1',
      username: 'alice',
      status: 'offline',
      connections: 0,
      lastSeenAt: '2026-01-01T00:00:00.000Z',
    });
    expect(view(user, state, 2, null, true)).toEqual({
      userId: 'u1',
      username: 'alice',
      status: 'online',
      invisible: true,
      statusText: 'shh',
      connections: 2,
    });
  });
});
