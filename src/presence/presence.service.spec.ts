import { loadConfig } from '../config/app-config';
import type { RealtimeService } from '../common/ws/realtime.service';
import type { AppSocket } from '../common/ws/socket.types';
import { ConnectionLifecycle } from '../sessions/connection-lifecycle';
import { InMemoryConnectionStore } from '../sessions/connection-store';
import { automock } from '../testing/mocks';
import { UsersRepository } from '../users/users.repository';
import { InMemoryPresenceStore, type PresenceStore } from './presence.store';
import { PresenceService, view } from './presence.service';
import type { PresenceSubscriptions } from './presence-subscriptions';
import type { RoomMembership } from './room-membership';

const alice = { id: 'u1', username: 'alice', displayName: 'alice', createdAt: '2026-01-01T00:00:00.000Z' };
const row = (id: string, username: string, last_seen_at: string | null = null) => ({
  id,
  username,
  display_name: username,
  password_hash: 'x',
  created_at: 'x',
  last_seen_at,
});

function fakeSocket(id: string, sessionId = `s-${id}`): AppSocket {
  return { id, data: { user: alice, sessionId, resumed: false, tokenExpiresAt: 0 }, emit: jest.fn() } as unknown as AppSocket;
}

describe('PresenceService', () => {
  const setup = (store: PresenceStore = new InMemoryPresenceStore()) => {
    jest.useFakeTimers();
    const connections = new InMemoryConnectionStore();
    const users = automock(UsersRepository);
    users.findByIds.mockImplementation(async (ids) => ids.filter((id) => id === 'u1').map(() => row('u1', 'alice')));
    users.setLastSeen.mockResolvedValue(undefined);
    const realtime = { emit: jest.fn() };
    const subscriptions: jest.Mocked<PresenceSubscriptions> = {
      add: jest.fn().mockResolvedValue(1),
      countAfter: jest.fn().mockReturnValue(1),
      remove: jest.fn(),
    };
    const membership: jest.Mocked<RoomMembership> = { memberIds: jest.fn() };
    const service = new PresenceService(
      connections,
      store,
      subscriptions,
      membership,
      loadConfig({ PRESENCE_GRACE_MS: '1000', MAX_PRESENCE_SUBSCRIPTIONS: '3' }),
      users as unknown as UsersRepository,
      realtime as unknown as RealtimeService,
      new ConnectionLifecycle(),
    );
    const socketEntry = (id: string) => ({ socketId: id, userId: 'u1', sessionId: `s-${id}` });
    const connect = async (id: string) => {
      const counts = await connections.add(socketEntry(id));
      await service.onConnect(fakeSocket(id), counts);
    };
    const disconnect = async (id: string) => {
      const counts = await connections.remove(socketEntry(id));
      await service.onDisconnect({ socketId: id, user: alice, sessionId: `s-${id}` }, counts);
    };
    const updates = () => realtime.emit.mock.calls.filter((c) => c[0][0] === 'presence:u1').map((c) => c[2]);
    return { service, users, realtime, subscriptions, membership, connect, disconnect, updates };
  };
  afterEach(() => jest.useRealTimers());

  it("announces online once for several tabs, to the subscriber rooms minus the user's own sockets", async () => {
    const { connect, realtime, updates } = setup();
    await connect('a');
    await connect('b');
    expect(updates()).toEqual([{ userId: 'u1', username: 'alice', status: 'online', connections: 1 }]);
    expect(realtime.emit).toHaveBeenCalledWith(['presence:u1', 'presence:all'], 'presence:update', expect.anything(), 'user:u1');
  });

  it('turns offline only after the grace period, writing last seen once', async () => {
    const { connect, disconnect, updates, users, service } = setup();
    await connect('a');
    await disconnect('a');
    await jest.advanceTimersByTimeAsync(999);
    expect(updates()).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(users.setLastSeen).toHaveBeenCalledTimes(1);
    expect(updates()[1]).toEqual({ userId: 'u1', username: 'alice', status: 'offline', connections: 0, lastSeenAt: expect.any(String) });
    service.onApplicationShutdown();
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
    const { connect, disconnect, updates, service } = setup();
    await connect('a');
    await disconnect('a');
    service.onApplicationShutdown();
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
    expect(selfUpdates.map((c) => c[2].statusText)).toEqual(['lunch', 'hiding', 'still hiding']);
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

  it('lists a room through RoomMembership and refuses roomId with userIds', async () => {
    const { service, membership } = setup();
    membership.memberIds.mockResolvedValue({ ids: ['u1'], hasMore: true, next: 'cursor' });
    const page = await service.list(alice, { roomId: 'r1' });
    expect(page.users.map((p) => p.userId)).toEqual(['u1']);
    expect(page).toMatchObject({ hasMore: true, next: 'cursor' });
    expect(membership.memberIds).toHaveBeenCalledWith('r1', 'u1', { after: undefined, limit: 100 });
    await service.list(alice, { roomId: 'r1', after: 'cursor', limit: 7 });
    expect(membership.memberIds).toHaveBeenLastCalledWith('r1', 'u1', { after: 'cursor', limit: 7 });
    await expect(service.list(alice, { roomId: 'r1', userIds: ['u1'] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
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
