import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { Ack, ErrorBody, ErrorCode, ErrorReason } from '../../../src/contracts/errors';
import type {
  ClientEventMap,
  ClientEventName,
  ClientToServerEvents,
  ServerEventMap,
  ServerEventName,
  ServerToClientEvents,
  SessionEndReason,
  SessionEvent,
  SessionRefreshResult,
} from '../../../src/contracts/events';
import type { User } from '../../../src/contracts/models';

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

/**
 * What the client sends for `event`: the contract's payload, made stricter where the server
 * checks more than the type says. A payload with an optional `to` and an optional `roomId`
 * (`message:send`, `typing`) takes exactly one of them.
 */
export type ClientPayload<E extends ClientEventName> = OneTarget<ClientEventMap[E]['payload']>;
type OneTarget<P> = 'to' | 'roomId' extends keyof P
  ? (Omit<P, 'to' | 'roomId'> & { to: string; roomId?: never }) | (Omit<P, 'to' | 'roomId'> & { roomId: string; to?: never })
  : P;

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'refused';

export interface ConnectionStatus {
  state: ConnectionState;
  /** The current session (the last `session` event) while connected, and after a disconnect. */
  session?: SessionEvent;
  /** Why the last handshake was refused (`refused`), or the last network error. */
  error?: RealtimeError;
}

export interface ClientOptions {
  /** Resume this session (e.g. one kept in sessionStorage); later ones are kept automatically. */
  sessionId?: string;
  /** How long `request` waits for an ack. Default 10 s. */
  timeoutMs?: number;
  /** Called with each new session id, to persist it across page loads. */
  onSession?: (session: SessionEvent) => void;
  /**
   * Returns a fresh access token (e.g. from `POST /auth/refresh`, or by logging in again). With
   * it, the client refreshes the live connection before its token expires (`session:refresh`),
   * and, when a handshake is refused as `TOKEN_EXPIRED` or the server ended the connection with
   * `session:expired { reason: "token_expired" }`, asks once for a new token and reconnects with
   * it. A session that was ended (logout, revoked, password changed, user deleted) is never
   * refreshed: the status becomes `refused` with `reason: "SESSION_ENDED"`.
   */
  refreshToken?: () => Promise<string>;
  /** How long before the token's expiry to refresh it (at most half its remaining life). Default 60 s. */
  refreshMarginMs?: number;
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
  /** Connection state, session and last error; `onStatus` tells when it changes. */
  readonly status: ConnectionStatus;
  onStatus(listener: (status: ConnectionStatus) => void): Unsubscribe;
  /** Resolves with the next `session` (or the current one when connected); rejects on a refused handshake. */
  ready(): Promise<SessionEvent>;
  /** Emits `event` and resolves with the ack's `data`, or rejects with a `RealtimeError`. */
  request<E extends ClientEventName>(event: E, payload: ClientPayload<E>): Promise<ClientEventMap[E]['result']>;
  /** Emits without an ack: a failure comes back as the `exception` event. */
  emit<E extends ClientEventName>(event: E, payload: ClientPayload<E>): void;
  on<E extends ServerEventName>(event: E, handler: (payload: ServerEventMap[E]) => void): Unsubscribe;
  /**
   * Uses `token` from now on: for the next handshake, and, when connected, for this
   * connection too (`session:refresh`, whose result is returned).
   */
  setToken(token: string): Promise<SessionRefreshResult | undefined>;
  disconnect(): void;
}

/** setTimeout's limit (a longer delay fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The error a connection ended by the server (`session:expired`, not for expiry) is refused with. */
function sessionEndedError(reason: SessionEndReason): RealtimeError {
  return new RealtimeError('UNAUTHORIZED', `The session ended (${reason}): log in again`, { reason }, undefined, 'SESSION_ENDED');
}

/**
 * A typed socket.io client for this service. Connects at once (unless
 * `socket.autoConnect: false`, then call `client.socket.connect()`).
 */
export function createClient(url: string, token: string, options: ClientOptions = {}): RealtimeClient {
  let currentToken = token;
  let sessionId = options.sessionId;
  let status: ConnectionStatus = { state: 'connecting' };
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** A refused handshake is answered with one refresh; the next refusal before a `session` is final. */
  let refreshedSinceSession = false;
  let closedByUser = false;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const statusListeners = new Set<(status: ConnectionStatus) => void>();
  const waiters = new Set<{ resolve: (session: SessionEvent) => void; reject: (error: RealtimeError) => void }>();

  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
    transports: ['websocket'],
    ...options.socket,
    // A function, so every reconnect sends the latest token and session id.
    auth: (cb) => cb(sessionId ? { token: currentToken, sessionId } : { token: currentToken }),
  });

  const setStatus = (next: ConnectionStatus) => {
    status = next;
    for (const listener of statusListeners) listener(status);
  };
  const settle = (outcome: { session: SessionEvent } | { error: RealtimeError }) => {
    for (const waiter of [...waiters]) {
      waiters.delete(waiter);
      if ('session' in outcome) waiter.resolve(outcome.session);
      else waiter.reject(outcome.error);
    }
  };
  const refuse = (error: RealtimeError) => {
    setStatus({ state: 'refused', session: status.session, error });
    settle({ error });
  };

  /** Asks the app for a new token and reconnects with it; refuses with `cause` when it cannot. */
  const reconnectWithFreshToken = async (cause: RealtimeError) => {
    if (!options.refreshToken || refreshedSinceSession || closedByUser) return refuse(cause);
    refreshedSinceSession = true;
    setStatus({ state: 'connecting', session: status.session, error: cause });
    try {
      currentToken = await options.refreshToken();
    } catch (err) {
      return refuse(
        new RealtimeError(cause.code, `refreshToken failed: ${(err as Error).message}`, cause.details, undefined, cause.reason),
      );
    }
    if (!closedByUser) socket.connect();
  };

  const scheduleRefresh = (expiresAt: string) => {
    clearTimeout(refreshTimer);
    if (!options.refreshToken) return;
    const remaining = Date.parse(expiresAt) - Date.now();
    const margin = Math.min(options.refreshMarginMs ?? 60_000, remaining / 2);
    refreshTimer = setTimeout(() => void refreshNow(), Math.min(Math.max(remaining - margin, 0), MAX_TIMER_MS));
  };
  const refreshNow = async () => {
    try {
      await client.setToken(await options.refreshToken!()); // schedules the next refresh
    } catch (err) {
      // Not fatal yet: when the token runs out the server ends the connection (`session:expired`),
      // and the reconnect asks for a token again.
      setStatus({ ...status, error: err instanceof RealtimeError ? err : new RealtimeError('UNAVAILABLE', (err as Error).message) });
    }
  };

  socket.on('session', (event) => {
    sessionId = event.sessionId;
    refreshedSinceSession = false;
    setStatus({ state: 'connected', session: event });
    scheduleRefresh(event.expiresAt);
    options.onSession?.(event);
    settle({ session: event });
  });
  socket.on('session:expired', ({ reason }) => {
    clearTimeout(refreshTimer);
    // The server disconnects right after; socket.io does not reconnect a server-side disconnect.
    // Only an expired token is worth a new one: an ended session (logout, revoked, …) refuses
    // every token of it, and a refresh token of it too.
    socket.once('disconnect', () =>
      reason === 'token_expired'
        ? void reconnectWithFreshToken(new RealtimeError('TOKEN_EXPIRED', 'the token expired', { reason }, undefined, 'TOKEN_EXPIRED'))
        : refuse(sessionEndedError(reason)),
    );
  });
  socket.on('disconnect', () => {
    clearTimeout(refreshTimer);
    // `active`: socket.io reconnects by itself (a network drop), not after disconnect() or a server's.
    setStatus({ state: socket.active ? 'connecting' : 'disconnected', session: status.session });
  });
  socket.on('connect_error', (err: Error & { data?: Partial<ErrorBody> }) => {
    const data = err.data;
    if (!data?.code) {
      // The network: socket.io keeps retrying on its own while `active`.
      const error = new RealtimeError('UNAVAILABLE', err.message);
      if (socket.active) return setStatus({ state: 'connecting', session: status.session, error });
      return refuse(error);
    }
    const error = new RealtimeError(data.code, data.message ?? err.message, data.details, undefined, data.reason);
    // A refused handshake is not retried by socket.io. Only an expired token is refreshed: an
    // invalid one, or one whose session ended (`reason: "SESSION_ENDED"`), is final.
    if (data.code === 'TOKEN_EXPIRED') void reconnectWithFreshToken(error);
    else refuse(error);
  });

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
      return status.session?.user;
    },
    get status() {
      return status;
    },

    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },

    ready() {
      if (socket.connected && status.state === 'connected' && status.session) return Promise.resolve(status.session);
      // Refused and not trying again (until the app calls socket.connect(), e.g. after setToken).
      if (status.state === 'refused' && status.error && !socket.active) return Promise.reject(status.error);
      return new Promise((resolve, reject) => waiters.add({ resolve, reject }));
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
      refreshedSinceSession = false; // a token from the app: a refusal of it may be refreshed again
      if (!socket.connected) return undefined;
      const result = await client.request('session:refresh', { token: next });
      scheduleRefresh(result.expiresAt);
      return result;
    },

    disconnect() {
      closedByUser = true;
      clearTimeout(refreshTimer);
      socket.disconnect();
      if (status.state !== 'disconnected') setStatus({ state: 'disconnected', session: status.session });
    },
  };
  return client;
}
