import { EventEmitter } from 'node:events';
import type { TokenService } from '../auth/token.service';
import type { AppSocket } from '../realtime/socket.types';
import { automock } from '../testing/mocks';
import { ConnectionLifecycle } from '../realtime/connections/connection-lifecycle';
import { InMemoryConnectionStore } from '../realtime/connections/in-memory-connection-store';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

const user = { id: 'u1', username: 'alice', displayName: 'alice', createdAt: '2026-01-01T00:00:00.000Z' };

function fakeSocket(id: string, sessionId: string): AppSocket {
  return {
    id,
    connected: true,
    data: { user, sessionId, resumed: false, tokenExpiresAt: Date.now() + 60_000 },
    join: jest.fn(),
    emit: jest.fn(),
    disconnect: jest.fn(),
  } as unknown as AppSocket;
}

type FakeConn = EventEmitter & { readyState: string; close: jest.Mock };

/** A socket between socket.io's middleware and its connection: `conn` is the engine.io connection. */
function admittedSocket(id: string, sessionId: string): AppSocket & { conn: FakeConn } {
  const socket = fakeSocket(id, sessionId);
  (socket as { connected: boolean }).connected = false;
  const conn: FakeConn = Object.assign(new EventEmitter(), { readyState: 'open', close: jest.fn() });
  Object.assign(socket, { conn });
  return socket as AppSocket & { conn: FakeConn };
}

describe('SessionsService', () => {
  const setup = () => {
    const repo = automock(SessionsRepository);
    const lifecycle = new ConnectionLifecycle();
    const store = new InMemoryConnectionStore();
    const tokens = { verify: jest.fn() } as unknown as jest.Mocked<TokenService>;
    const service = new SessionsService(repo as unknown as SessionsRepository, tokens, lifecycle, store);
    return { repo, lifecycle, store, tokens, service };
  };

  it('resumes a session of the same user and issues a new one otherwise', async () => {
    const { repo, service } = setup();
    repo.findResumable.mockResolvedValueOnce({ id: 's1', user_id: 'u1', created_at: 'x', last_seen_at: 'x', connected: 0 });
    expect(await service.resolve('u1', 's1')).toEqual({ sessionId: 's1', resumed: true });
    expect(repo.touch).toHaveBeenCalledWith('s1', expect.any(String), true);

    repo.findResumable.mockResolvedValueOnce({ id: 's1', user_id: 'someone-else', created_at: 'x', last_seen_at: 'x', connected: 0 });
    const foreign = await service.resolve('u1', 's1');
    expect(foreign.resumed).toBe(false);
    expect(foreign.sessionId).not.toBe('s1');
    expect(repo.insert).toHaveBeenCalledWith(expect.objectContaining({ id: foreign.sessionId, user_id: 'u1', connected: 1 }));

    // Unknown, or past SESSION_TTL_DAYS: the repository finds nothing resumable.
    repo.findResumable.mockResolvedValueOnce(undefined);
    expect((await service.resolve('u1', 's-expired')).resumed).toBe(false);

    const fresh = await service.resolve('u1');
    expect(fresh.resumed).toBe(false);
    expect(repo.findResumable).toHaveBeenCalledTimes(3);
  });

  it('emits `session` first, joins the user and session rooms, and tells listeners the counts', async () => {
    const { lifecycle, service } = setup();
    const seen: number[] = [];
    lifecycle.register({ onConnect: (_s, counts) => void seen.push(counts.user) });
    const tab1 = fakeSocket('a', 's1');
    const tab2 = fakeSocket('b', 's2');
    await service.connect(tab1);
    await service.connect(tab2);
    expect(tab1.emit).toHaveBeenCalledWith('session', { sessionId: 's1', user });
    expect(tab1.join).toHaveBeenCalledWith(['user:u1', 'session:s1']);
    expect(tab1.join).toHaveBeenCalledWith('authenticated');
    expect(seen).toEqual([1, 2]);
    service.onApplicationShutdown();
  });

  it('runs beforeSession listeners before `session`, and disconnect only after connect finished', async () => {
    const { lifecycle, service } = setup();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    lifecycle.register({
      beforeSession: async () => {
        order.push('beforeSession');
        await gate;
      },
      onConnect: () => void order.push('onConnect'),
      onDisconnect: () => void order.push('onDisconnect'),
    });
    const socket = fakeSocket('a', 's1');
    (socket.emit as jest.Mock).mockImplementation((event: string) => order.push(`emit:${event}`));
    const connecting = service.connect(socket);
    const disconnecting = service.disconnect(socket);
    await Promise.resolve();
    expect(order).toEqual(['beforeSession']);
    release();
    await Promise.all([connecting, disconnecting]);
    expect(order).toEqual(['beforeSession', 'emit:session', 'onConnect', 'onDisconnect']);
  });

  it('never registers a socket that left before `session`', async () => {
    const { lifecycle, store, service } = setup();
    const socket = fakeSocket('a', 's1');
    lifecycle.register({ beforeSession: () => void ((socket as { connected: boolean }).connected = false) });
    const onDisconnect = jest.fn();
    lifecycle.register({ onDisconnect });
    await service.connect(socket);
    await service.disconnect(socket);
    expect(socket.emit).not.toHaveBeenCalled();
    expect(onDisconnect).not.toHaveBeenCalled();
    expect(await store.onlineUserIds()).toEqual([]);
  });

  it('closes the transport of a connection the registry cannot take, without an unhandled rejection', async () => {
    const { store, service } = setup();
    jest.spyOn(store, 'add').mockRejectedValueOnce(new Error('Redis is down'));
    const socket = fakeSocket('a', 's1');
    const close = jest.fn();
    (socket as unknown as { conn: { close: jest.Mock } }).conn = { close };
    await expect(service.connect(socket)).resolves.toBeUndefined();
    expect(close).toHaveBeenCalled();
    await expect(service.disconnect(socket)).resolves.toBeUndefined();
    service.onApplicationShutdown();
  });

  it('retries removing a socket from the registry until it answers, then tells the listeners', async () => {
    jest.useFakeTimers();
    try {
      const { lifecycle, store, service } = setup();
      const onDisconnect = jest.fn();
      lifecycle.register({ onDisconnect });
      const socket = fakeSocket('a', 's1');
      await service.connect(socket);
      jest.spyOn(store, 'remove').mockRejectedValueOnce(new Error('Redis is down')).mockRejectedValueOnce(new Error('still down'));
      await service.disconnect(socket);
      expect(onDisconnect).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(2500);
      expect(onDisconnect).toHaveBeenCalledWith(expect.objectContaining({ socketId: 'a' }), { user: 0, session: 0 });
      service.onApplicationShutdown();
    } finally {
      jest.useRealTimers();
    }
  });

  it('reports what remains on disconnect', async () => {
    const { lifecycle, service } = setup();
    const remaining: { user: number; session: number }[] = [];
    lifecycle.register({ onDisconnect: (_s, counts) => void remaining.push(counts) });
    const tab1 = fakeSocket('a', 's1');
    const tab2 = fakeSocket('b', 's1');
    await service.connect(tab1);
    await service.connect(tab2);
    await service.disconnect(tab1);
    await service.disconnect(tab2);
    expect(remaining).toEqual([
      { user: 1, session: 1 },
      { user: 0, session: 0 },
    ]);
  });

  it('expires a connection when its token expires', async () => {
    jest.useFakeTimers();
    try {
      const { service } = setup();
      const socket = fakeSocket('a', 's1');
      socket.data.tokenExpiresAt = Date.now() + 1000;
      await service.connect(socket);
      jest.advanceTimersByTime(999);
      expect(socket.disconnect).not.toHaveBeenCalled();
      jest.advanceTimersByTime(2);
      expect(socket.emit).toHaveBeenCalledWith('session:expired', { reason: 'token_expired' });
      expect(socket.disconnect).toHaveBeenCalledWith(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('admits sockets atomically up to the per-user cap and refuses the rest with FORBIDDEN and details.limit', async () => {
    const { store, service } = setup();
    const sockets = Array.from({ length: 25 }, (_, i) => admittedSocket(`s${i}`, `x${i}`));
    const results = await Promise.allSettled(sockets.map((s) => service.admit(s, 5)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect(r.reason).toMatchObject({ code: 'FORBIDDEN', details: { limit: 5 } });
    }
    expect(await store.countByUser(['u1'])).toEqual(new Map([['u1', 5]]));
  });

  it('uses the counts of the admission on connect, so listeners see each socket once', async () => {
    const { lifecycle, store, service } = setup();
    const seen: number[] = [];
    lifecycle.register({ onConnect: (_s, counts) => void seen.push(counts.user) });
    const socket = admittedSocket('a', 's1');
    await service.admit(socket, 5);
    (socket as { connected: boolean }).connected = true;
    await service.connect(socket);
    expect(seen).toEqual([1]);
    expect(await store.countByUser(['u1'])).toEqual(new Map([['u1', 1]]));
    // Closing the transport of a connected socket is socket.io's disconnect path, not an abandonment.
    socket.conn.emit('close');
    expect(await store.countByUser(['u1'])).toEqual(new Map([['u1', 1]]));
    await service.disconnect(socket);
    expect(await store.onlineUserIds()).toEqual([]);
    service.onApplicationShutdown();
  });

  it('removes an admitted socket whose client left before socket.io connected it, after its listeners saw it', async () => {
    const { lifecycle, store, service } = setup();
    const events: string[] = [];
    lifecycle.register({
      onConnect: (s, counts) => void events.push(`connect ${s.id} ${counts.user}`),
      onDisconnect: (s, counts) => void events.push(`disconnect ${s.socketId} ${counts.user}`),
    });
    const vanishing = admittedSocket('gone', 's1');
    const staying = admittedSocket('kept', 's2');
    await service.admit(vanishing, 5);
    await service.admit(staying, 5);
    (staying as { connected: boolean }).connected = true;
    await service.connect(staying);
    // socket.io never emits connect or disconnect for it: only its transport closes.
    vanishing.conn.readyState = 'closed';
    vanishing.conn.emit('close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.countByUser(['u1'])).toEqual(new Map([['u1', 1]]));
    expect(events).toEqual(['connect kept 2', 'connect gone 1', 'disconnect gone 1']);
    expect(vanishing.emit).not.toHaveBeenCalledWith('session', expect.anything());
    service.onApplicationShutdown();
  });

  it('removes at once a socket whose transport closed while the registry was answering', async () => {
    const { store, service } = setup();
    const socket = admittedSocket('a', 's1');
    const add = store.addWithin.bind(store);
    jest.spyOn(store, 'addWithin').mockImplementationOnce(async (entry, max) => {
      socket.conn.readyState = 'closed';
      return add(entry, max);
    });
    await service.admit(socket, 5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.onlineUserIds()).toEqual([]);
  });

  it('closes the transport when the registry cannot be reached during the handshake', async () => {
    const { store, service } = setup();
    jest.spyOn(store, 'addWithin').mockRejectedValueOnce(new Error('Redis is down'));
    const socket = admittedSocket('a', 's1');
    await expect(service.admit(socket, 5)).rejects.toThrow('Redis is down');
    expect(socket.conn.close).toHaveBeenCalled();
  });

  it('refresh refuses a token of another user', () => {
    const { tokens, service } = setup();
    tokens.verify.mockReturnValue({ userId: 'u2', expiresAt: Date.now() + 1000 });
    expect(() => service.refresh(fakeSocket('a', 's1'), 't')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});
