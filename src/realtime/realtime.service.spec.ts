import { IoServer } from './io-server';
import { CONFIRM_TIMEOUT_MS, RealtimeService } from './realtime.service';
import type { RedisConnections } from '../redis/redis.providers';
import type { AppServer } from './socket.types';

/** A socket.io server that records moves: `local` ones (this instance) and server-side emits (the others). */
function fakeServer(answer: () => Promise<unknown> = () => Promise.resolve([true])) {
  const calls: string[] = [];
  const server = {
    local: {
      in: (of: string) => ({
        socketsJoin: (rooms: string) => calls.push(`local join ${of} ${rooms}`),
        socketsLeave: (rooms: string) => calls.push(`local leave ${of} ${rooms}`),
      }),
    },
    serverSideEmit: (event: string, of: string, rooms: string) => calls.push(`tell ${event} ${of} ${rooms}`),
    serverSideEmitWithAck: (event: string) => {
      calls.push(`ask ${event}`);
      return answer();
    },
  };
  const io = new IoServer();
  io.set(server as unknown as AppServer);
  return { io, calls };
}

const redis = (status: string) => ({ client: { status } }) as unknown as RedisConnections;

describe('RealtimeService moves', () => {
  afterEach(() => jest.useRealTimers());

  it('on one instance moves the local sockets only and has nobody to wait for (the in-memory adapter has no server-side emit)', async () => {
    const { io, calls } = fakeServer(() => Promise.reject(new Error('must not be asked')));
    const realtime = new RealtimeService(io, null);
    realtime.join('user:a', 'room:r');
    realtime.leave('user:a', 'room:r');
    await realtime.othersCaughtUp();
    expect(calls).toEqual(['local join user:a room:r', 'local leave user:a room:r']);
  });

  it('with other instances moves the local sockets at once, tells the others, and waits for their answer after', async () => {
    let answer!: () => void;
    const { io, calls } = fakeServer(() => new Promise<void>((resolve) => (answer = resolve)));
    const realtime = new RealtimeService(io, redis('ready'));
    realtime.join('user:a', 'room:r');
    realtime.leave('user:a', 'room:r');
    let caughtUp = false;
    const waiting = realtime.othersCaughtUp().then(() => (caughtUp = true));
    expect(calls).toEqual([
      'local join user:a room:r',
      'tell sockets:join user:a room:r',
      'local leave user:a room:r',
      'tell sockets:leave user:a room:r',
      'ask sockets:caught-up',
    ]);
    await Promise.resolve();
    expect(caughtUp).toBe(false);
    answer();
    await waiting;
    expect(caughtUp).toBe(true);
  });

  it('does not wait while Redis is unreachable: no instance can hear this one', async () => {
    const { io, calls } = fakeServer(() => new Promise<void>(() => undefined));
    await new RealtimeService(io, redis('reconnecting')).othersCaughtUp();
    expect(calls).toEqual([]);
  });

  it('goes on after CONFIRM_TIMEOUT_MS when an instance does not answer (the adapter may never call back)', async () => {
    jest.useFakeTimers();
    const { io } = fakeServer(() => new Promise<void>(() => undefined));
    let caughtUp = false;
    const waiting = new RealtimeService(io, redis('ready')).othersCaughtUp().then(() => (caughtUp = true));
    await jest.advanceTimersByTimeAsync(CONFIRM_TIMEOUT_MS - 1);
    expect(caughtUp).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await waiting;
    expect(caughtUp).toBe(true);
  });

  it('goes on when the adapter reports that an instance timed out', async () => {
    const { io } = fakeServer(() => Promise.reject(new Error('timeout reached: only 0 responses received out of 1')));
    await expect(new RealtimeService(io, redis('ready')).othersCaughtUp()).resolves.toBeUndefined();
  });
});
