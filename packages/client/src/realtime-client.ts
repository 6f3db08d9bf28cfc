import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  Ack,
  ClientEventMap,
  ClientEventName,
  ClientToServerEvents,
  ErrorBody,
  ErrorCode,
  ErrorReason,
  ServerEventMap,
  ServerEventName,
  ServerToClientEvents,
  SessionEvent,
  SessionRefreshResult,
  User,
} from '../src/contracts';

/**
 * `ErrorCode` from the server's catalogue, plus what only a client can see:
 * `TIMEOUT` (no ack in time) and `UNAVAILABLE` (no connection could be made).
 */
export type ClientErrorCode = ErrorCode | 'TIMEOUT' | 'UNAVAILABLE';

/** A failed ack, a refused handshake or a timeout, with the server's code, reason and details. */
export class RealtimeError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly details?: unknown,
    /** The event whose ack failed, when there was one. */
    readonly event?: string,
    /** The server's named reason (narrower than `code`), when the server answered. */
    readonly reason?: ErrorReason,
  ) {
    super(message);
    this.name = 'RealtimeError';
  }
}

export interface ClientOptions {
  /** Resume this session (e.g. one kept in sessionStorage); later ones are kept automatically. */
  sessionId?: string;
  /** How long `request` waits for an ack. Default 10 s. */
  timeoutMs?: number;
  /** Called with each new session id, to persist it across page loads. */
  onSession?: (session: SessionEvent) => void;
  /** Passed to socket.io-client; defaults: websocket transport, automatic reconnection. */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

export type Unsubscribe = () => void;

export interface RealtimeClient {
  /** The underlying socket.io socket, for anything this wrapper does not cover. */
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  /** The current session id (from the last `session` event), sent as `auth.sessionId` on reconnect. */
  readonly sessionId: string | undefined;
  readonly user: User | undefined;
  /** Resolves with the next `session` (or the current one when connected); rejects on a refused handshake. */
  ready(): Promise<SessionEvent>;
  /** Emits `event` and resolves with the ack's `data`, or rejects with a `RealtimeError`. */
  request<E extends ClientEventName>(event: E, payload: ClientEventMap[E]['payload']): Promise<ClientEventMap[E]['result']>;
  /** Emits without an ack: a failure comes back as the `exception` event. */
  emit<E extends ClientEventName>(event: E, payload: ClientEventMap[E]['payload']): void;
  on<E extends ServerEventName>(event: E, handler: (payload: ServerEventMap[E]) => void): Unsubscribe;
  /**
   * Uses `token` from now on: for the next handshake, and, when connected, for this
   * connection too (`session:refresh`, whose result is returned).
   */
  setToken(token: string): Promise<SessionRefreshResult | undefined>;
  disconnect(): void;
}

/**
 * A typed socket.io client for this service. Connects at once (unless
 * `socket.autoConnect: false`, then call `client.socket.connect()`).
 */
export function createClient(url: string, token: string, options: ClientOptions = {}): RealtimeClient {
  let currentToken = token;
  let sessionId = options.sessionId;
  let session: SessionEvent | undefined;
  const timeoutMs = options.timeoutMs ?? 10_000;

  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
    transports: ['websocket'],
    ...options.socket,
    // A function, so every reconnect sends the latest token and session id.
    auth: (cb) => cb(sessionId ? { token: currentToken, sessionId } : { token: currentToken }),
  });

  socket.on('session', (event) => {
    session = event;
    sessionId = event.sessionId;
    options.onSession?.(event);
  });
  // socket.io stops reconnecting after a refused handshake; a client with a fresh token calls setToken and socket.connect().

  const toError = (event: string, ack: Ack<unknown>): RealtimeError => {
    const error = (ack as { error?: ErrorBody }).error;
    return error
      ? new RealtimeError(error.code, error.message, error.details, event, error.reason)
      : new RealtimeError('INTERNAL', `Malformed ack for ${event}`, ack, event);
  };

  const client: RealtimeClient = {
    socket,
    get sessionId() {
      return sessionId;
    },
    get user() {
      return session?.user;
    },

    ready() {
      if (socket.connected && session) return Promise.resolve(session);
      return new Promise((resolve, reject) => {
        const cleanup = () => {
          socket.off('session', onSession);
          socket.off('connect_error', onError);
        };
        const onSession = (event: SessionEvent) => {
          cleanup();
          resolve(event);
        };
        const onError = (err: Error & { data?: Partial<ErrorBody> }) => {
          // A refused handshake carries the catalogue code; anything else is the network.
          if (!err.data?.code && socket.active) return; // socket.io keeps retrying; wait for it
          cleanup();
          reject(
            err.data?.code
              ? new RealtimeError(err.data.code, err.data.message ?? err.message, err.data.details, undefined, err.data.reason)
              : new RealtimeError('UNAVAILABLE', err.message),
          );
        };
        socket.on('session', onSession);
        socket.on('connect_error', onError);
      });
    },

    async request(event, payload) {
      let ack: Ack<unknown>;
      try {
        const timed = socket.timeout(timeoutMs) as unknown as { emitWithAck(event: string, payload: unknown): Promise<Ack<unknown>> };
        ack = await timed.emitWithAck(event, payload);
      } catch {
        throw new RealtimeError('TIMEOUT', `No answer to ${event} within ${timeoutMs} ms`, undefined, event);
      }
      if (ack && ack.ok === true) return ack.data as ClientEventMap[typeof event]['result'];
      throw toError(event, ack);
    },

    emit(event, payload) {
      (socket.emit as (event: string, payload: unknown) => void)(event, payload);
    },

    on(event, handler) {
      const listener = handler as (payload: unknown) => void;
      (socket.on as (event: string, listener: (payload: unknown) => void) => void)(event, listener);
      return () => (socket.off as (event: string, listener: (payload: unknown) => void) => void)(event, listener);
    },

    async setToken(next) {
      currentToken = next;
      if (!socket.connected) return undefined;
      return client.request('session:refresh', { token: next });
    },

    disconnect() {
      socket.disconnect();
    },
  };
  return client;
}
