import { Injectable } from '@nestjs/common';
import { DiscoveryModule, type DiscoveryService, type MetadataScanner, type Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { APP_CONFIG } from '../../config/config.module';
import { loadConfig } from '../../config/app-config';
import { fakeSocket, type FakeSocket } from '../../testing/fake-socket';
import type { AppSocket } from '../socket.types';
import { ConnectionLifecycle, type DisconnectedSocket } from './connection-lifecycle';
import type { ConnectionCounts } from './connection-store';
import { CONNECTION_STORE } from './connection-store';
import { InMemoryConnectionStore } from './in-memory-connection-store';
import { OnConnection } from './on-connection.decorator';

/** A connected socket (socket.io's `connection` event has fired). */
const connectedSocket = (id: string, sessionId: string): FakeSocket => fakeSocket(id, { sessionId });

/** A socket between socket.io's middleware and its connection. */
const admittedSocket = (id: string, sessionId: string): FakeSocket => fakeSocket(id, { sessionId, connected: false });

describe('ConnectionLifecycle', () => {
  const setup = (connectionsPerUser = 5) => {
    const store = new InMemoryConnectionStore();
    const config = loadConfig({ MAX_CONNECTIONS_PER_USER: String(connectionsPerUser) });
    const lifecycle = new ConnectionLifecycle(store, config, {} as DiscoveryService, {} as MetadataScanner, {} as Reflector);
    return { store, lifecycle };
  };

  it('joins the user and session rooms, runs prepare listeners in their declared order, then connect listeners with the counts', async () => {
    const { lifecycle } = setup();
    const order: string[] = [];
    lifecycle.listen('prepare', 100, () => void order.push('announce'));
    lifecycle.listen('prepare', 10, () => void order.push('chat rooms'));
    lifecycle.listen('connect', 20, (_s: AppSocket, counts: ConnectionCounts) => void order.push(`modals ${counts.user}`));
    lifecycle.listen('connect', 10, (_s: AppSocket, counts: ConnectionCounts) => void order.push(`presence ${counts.user}`));
    const tab1 = connectedSocket('a', 's1');
    await lifecycle.connect(tab1);
    await lifecycle.connect(connectedSocket('b', 's2'));
    expect(tab1.join).toHaveBeenCalledWith(['user:u1', 'session:s1']);
    expect(order).toEqual(['chat rooms', 'announce', 'presence 1', 'modals 1', 'chat rooms', 'announce', 'presence 2', 'modals 2']);
  });

  it('runs disconnect listeners only after the connect handling finished', async () => {
    const { lifecycle } = setup();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    lifecycle.listen('prepare', 10, async () => {
      order.push('prepare');
      await gate;
    });
    lifecycle.listen('connect', 10, () => void order.push('connect'));
    lifecycle.listen('disconnect', 10, () => void order.push('disconnect'));
    const socket = connectedSocket('a', 's1');
    const connecting = lifecycle.connect(socket);
    const disconnecting = lifecycle.disconnect(socket);
    await Promise.resolve();
    expect(order).toEqual(['prepare']);
    release();
    await Promise.all([connecting, disconnecting]);
    expect(order).toEqual(['prepare', 'connect', 'disconnect']);
  });

  it('never registers a socket that left before the prepare listeners finished', async () => {
    const { lifecycle, store } = setup();
    const socket = connectedSocket('a', 's1');
    lifecycle.listen('prepare', 10, () => void (socket.connected = false));
    const disconnected = jest.fn();
    lifecycle.listen('disconnect', 10, disconnected);
    await lifecycle.connect(socket);
    await lifecycle.disconnect(socket);
    expect(disconnected).not.toHaveBeenCalled();
    expect(await store.onlineUserCount()).toBe(0);
  });

  it('closes the transport of a connection the registry cannot take, without an unhandled rejection', async () => {
    const { lifecycle, store } = setup();
    jest.spyOn(store, 'add').mockRejectedValueOnce(new Error('Redis is down'));
    const socket = connectedSocket('a', 's1');
    await expect(lifecycle.connect(socket)).resolves.toBeUndefined();
    expect(socket.conn.close).toHaveBeenCalled();
    await expect(lifecycle.disconnect(socket)).resolves.toBeUndefined();
  });

  it('retries removing a socket from the registry until it answers, then tells the listeners', async () => {
    jest.useFakeTimers();
    try {
      const { lifecycle, store } = setup();
      const disconnected = jest.fn();
      lifecycle.listen('disconnect', 10, disconnected);
      const socket = connectedSocket('a', 's1');
      await lifecycle.connect(socket);
      jest.spyOn(store, 'remove').mockRejectedValueOnce(new Error('Redis is down')).mockRejectedValueOnce(new Error('still down'));
      await lifecycle.disconnect(socket);
      expect(disconnected).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(2500);
      expect(disconnected).toHaveBeenCalledWith(expect.objectContaining({ socketId: 'a', userId: 'u1', sessionId: 's1' }), {
        user: 0,
        session: 0,
      });
      lifecycle.onApplicationShutdown();
    } finally {
      jest.useRealTimers();
    }
  });

  it('reports what remains on disconnect', async () => {
    const { lifecycle } = setup();
    const remaining: ConnectionCounts[] = [];
    lifecycle.listen('disconnect', 10, (_s: DisconnectedSocket, counts: ConnectionCounts) => void remaining.push(counts));
    const tab1 = connectedSocket('a', 's1');
    const tab2 = connectedSocket('b', 's1');
    await lifecycle.connect(tab1);
    await lifecycle.connect(tab2);
    await lifecycle.disconnect(tab1);
    await lifecycle.disconnect(tab2);
    expect(remaining).toEqual([
      { user: 1, session: 1 },
      { user: 0, session: 0 },
    ]);
  });

  it('admits sockets atomically up to MAX_CONNECTIONS_PER_USER and refuses the rest with FORBIDDEN and details.limit', async () => {
    const { lifecycle, store } = setup(5);
    const sockets = Array.from({ length: 25 }, (_, i) => admittedSocket(`s${i}`, `x${i}`));
    const results = await Promise.allSettled(sockets.map((s) => lifecycle.admit(s)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect(r.reason).toMatchObject({ code: 'FORBIDDEN', details: { limit: 5 } });
    }
    expect(await store.countByUser(['u1'])).toEqual(new Map([['u1', 5]]));
  });

  it('uses the counts of the admission on connect, so listeners see each socket once', async () => {
    const { lifecycle, store } = setup();
    const seen: number[] = [];
    lifecycle.listen('connect', 10, (_s: AppSocket, counts: ConnectionCounts) => void seen.push(counts.user));
    const socket = admittedSocket('a', 's1');
    await lifecycle.admit(socket);
    socket.connected = true;
    await lifecycle.connect(socket);
    expect(seen).toEqual([1]);
    expect(await store.countByUser(['u1'])).toEqual(new Map([['u1', 1]]));
    // Closing the transport of a connected socket is socket.io's disconnect path, not an abandonment.
    socket.conn.emit('close');
    expect(await store.countByUser(['u1'])).toEqual(new Map([['u1', 1]]));
    await lifecycle.disconnect(socket);
    expect(await store.onlineUserCount()).toBe(0);
  });

  it('removes an admitted socket whose client left before socket.io connected it, after its listeners saw it', async () => {
    const { lifecycle, store } = setup();
    const events: string[] = [];
    lifecycle.listen('connect', 10, (s: AppSocket, counts: ConnectionCounts) => void events.push(`connect ${s.id} ${counts.user}`));
    lifecycle.listen(
      'disconnect',
      10,
      (s: DisconnectedSocket, counts: ConnectionCounts) => void events.push(`disconnect ${s.socketId} ${counts.user}`),
    );
    const vanishing = admittedSocket('gone', 's1');
    const staying = admittedSocket('kept', 's2');
    await lifecycle.admit(vanishing);
    await lifecycle.admit(staying);
    staying.connected = true;
    await lifecycle.connect(staying);
    // socket.io never emits connect or disconnect for it: only its transport closes.
    vanishing.conn.readyState = 'closed';
    vanishing.conn.emit('close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.countByUser(['u1'])).toEqual(new Map([['u1', 1]]));
    expect(events).toEqual(['connect kept 2', 'connect gone 1', 'disconnect gone 1']);
  });

  it('adds no entry and runs no listener for the client of a new session that left before the registry step', async () => {
    const { lifecycle, store } = setup();
    const heard: string[] = [];
    lifecycle.listen('connect', 10, (s: AppSocket) => void heard.push(`connect ${s.id}`));
    const addWithin = jest.spyOn(store, 'addWithin');
    const socket = admittedSocket('gone', 's1');
    socket.conn.readyState = 'closed';
    expect(await lifecycle.admit(socket)).toBe(false);
    socket.conn.emit('close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(addWithin).not.toHaveBeenCalled();
    expect(await store.onlineUserCount()).toBe(0);
    expect(heard).toEqual([]);
  });

  it('still counts a resumed session whose client left before the registry step (its other sockets may be elsewhere)', async () => {
    const { lifecycle, store } = setup();
    const heard: string[] = [];
    lifecycle.listen('connect', 10, (s: AppSocket) => void heard.push(`connect ${s.id}`));
    lifecycle.listen(
      'disconnect',
      10,
      (s: DisconnectedSocket, counts: ConnectionCounts) => void heard.push(`disconnect ${s.socketId} ${counts.session}`),
    );
    const socket = fakeSocket('gone', { sessionId: 's1', connected: false, resumed: true });
    socket.conn.readyState = 'closed';
    expect(await lifecycle.admit(socket)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.onlineUserCount()).toBe(0);
    expect(heard).toEqual(['connect gone', 'disconnect gone 0']);
  });

  it('removes at once a socket whose transport closed while the registry was answering', async () => {
    const { lifecycle, store } = setup();
    const socket = admittedSocket('a', 's1');
    const add = store.addWithin.bind(store);
    jest.spyOn(store, 'addWithin').mockImplementationOnce(async (entry, max) => {
      socket.conn.readyState = 'closed';
      return add(entry, max);
    });
    await lifecycle.admit(socket);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.onlineUserCount()).toBe(0);
  });

  it('closes the transport when the registry cannot be reached during the handshake', async () => {
    const { lifecycle, store } = setup();
    jest.spyOn(store, 'addWithin').mockRejectedValueOnce(new Error('Redis is down'));
    const socket = admittedSocket('a', 's1');
    await expect(lifecycle.admit(socket)).rejects.toThrow('Redis is down');
    expect(socket.conn.close).toHaveBeenCalled();
  });

  it('finds each @OnConnection method once, also when an alias (useExisting) provides the same instance', async () => {
    @Injectable()
    class Listener {
      readonly heard: string[] = [];
      @OnConnection('disconnect', 10)
      gone(socket: DisconnectedSocket): void {
        this.heard.push(socket.socketId);
      }
    }
    const module = await Test.createTestingModule({
      imports: [DiscoveryModule],
      providers: [
        Listener,
        { provide: 'LISTENER_ALIAS', useExisting: Listener },
        { provide: CONNECTION_STORE, useValue: new InMemoryConnectionStore() },
        { provide: APP_CONFIG, useValue: loadConfig({}) },
        ConnectionLifecycle,
      ],
    }).compile();
    await module.init();
    await module.get(ConnectionLifecycle).disconnected({ socketId: 'a', userId: 'u1', sessionId: 's1' }, { user: 0, session: 0 });
    expect(module.get(Listener).heard).toEqual(['a']);
    await module.close();
  });
});
