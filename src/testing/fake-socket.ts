import { EventEmitter } from 'node:events';
import type { User } from '../contracts';
import type { AppSocket } from '../realtime/socket.types';

/** The engine.io connection under a fake socket: the test sets `readyState` and emits `close`. */
export type FakeConn = EventEmitter & { readyState: string; close: jest.Mock };

/** An authenticated socket as the services see it, with the calls they make on it recorded. */
export type FakeSocket = AppSocket & {
  conn: FakeConn;
  emit: jest.Mock;
  join: jest.Mock;
  leave: jest.Mock;
  on: jest.Mock;
  disconnect: jest.Mock;
};

/** The user a fake socket belongs to unless a spec names another. */
export const fakeSocketUser: User = { id: 'u1', username: 'alice', displayName: 'alice', createdAt: '2026-01-01T00:00:00.000Z' };

export interface FakeSocketOptions {
  user?: User;
  /** Default `s-<id>`. */
  sessionId?: string;
  resumed?: boolean;
  /** Default a minute from now. */
  tokenExpiresAt?: number;
  /** False for a socket between socket.io's middleware and its connection. Default true. */
  connected?: boolean;
}

/**
 * The one fake socket of the unit specs: `socket.data` as the handshake leaves it, a transport
 * (`conn`), and jest.fn()s for what services call on a socket (emit, join, leave, on,
 * disconnect), which do nothing but record the call.
 */
export function fakeSocket(id: string, options: FakeSocketOptions = {}): FakeSocket {
  const conn: FakeConn = Object.assign(new EventEmitter(), { readyState: 'open', close: jest.fn() });
  return {
    id,
    connected: options.connected ?? true,
    conn,
    data: {
      user: options.user ?? fakeSocketUser,
      sessionId: options.sessionId ?? `s-${id}`,
      resumed: options.resumed ?? false,
      tokenExpiresAt: options.tokenExpiresAt ?? Date.now() + 60_000,
    },
    emit: jest.fn(),
    join: jest.fn(),
    leave: jest.fn(),
    on: jest.fn(),
    disconnect: jest.fn(),
  } as unknown as FakeSocket;
}
