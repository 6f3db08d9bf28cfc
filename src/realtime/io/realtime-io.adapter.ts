import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { Ack, AckError, ErrorBody, ErrorCode } from '../../contracts';
import type { AppConfig } from '../../config/app-config';
import { toAppError, type AppError } from '../../common/errors/app-error';
import { ConnectionGuard } from './connection-guard';
import { RealtimeService } from '../realtime.service';
import { TokenBucket } from '../limits/token-bucket';
import { LEASE_PENDING, UserEventBudgets, type UserBudget } from '../limits/user-event-budget';
import type { AppServer, AppSocket } from '../socket.types';

type Handler = (data: unknown, ack?: (response: unknown) => void) => unknown;

/** Authenticates a handshake and returns what goes on `socket.data`; throws AppError to refuse. */
export interface HandshakeAuthenticator {
  authenticate(socket: AppSocket): Promise<AppSocket['data']>;
}

/** Extra work on the raw server once it exists (the Redis adapter hooks in here). */
export type ServerConfigurer = (server: AppServer) => void | Promise<void>;

/** Sees every client event once it is answered (metrics); `code` is set when it failed. */
export interface DispatchObserver {
  event(name: string, seconds: number, code?: ErrorCode): void;
  /** A handshake was refused (`connect_error`, or TIMEOUT: no socket.io handshake in time). */
  handshakeRefused?(code: ErrorCode | 'TIMEOUT'): void;
  /** A connection was cut because its unsent data passed MAX_SOCKET_BUFFER_BYTES. */
  slowConsumerDisconnected?(): void;
}

/** Per socket: its own bucket, its user's budget on this instance, and the refusal streak. */
class SocketLimits extends TokenBucket {
  /** Taken at the socket's first event, so idle sockets hold no per-user state. */
  budget?: UserBudget;
  /** Events refused (by either limit) since the last one that was allowed. */
  refusedInARow = 0;
}

/**
 * socket.io adapter for every gateway:
 * - server options from configuration (CORS, payload limit, no per-message deflate);
 * - JWT authentication in `io.use`, before any handler can run (Nest guards never see the handshake);
 * - one `onAny` listener per socket that dispatches to the gateways' handlers, answers unknown
 *   events with NOT_FOUND and wraps results in the `{ ok, data }` ack envelope. Nest's stock
 *   adapter builds an RxJS pipeline per handler per socket instead.
 */
export class RealtimeIoAdapter extends IoAdapter {
  /**
   * Each event's slot in the per-socket handler array; the same for every socket, so a socket
   * carries a small array of Nest's bound callbacks instead of a Map (~0.6 KB less per socket).
   */
  private readonly slots = new Map<string, number>();
  private readonly handlers = new WeakMap<AppSocket, Handler[]>();
  private readonly limits = new WeakMap<AppSocket, SocketLimits>();
  private realtime?: RealtimeService;
  private budgets?: UserEventBudgets;

  constructor(
    private readonly appContext: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly authenticator: HandshakeAuthenticator,
    private readonly configure: ServerConfigurer[] = [],
    private readonly observer?: DispatchObserver,
  ) {
    super(appContext);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      serveClient: false,
      cors: { origin: this.config.corsOrigins, credentials: true },
      // CORS headers alone do not stop a browser's websocket from another origin: refuse it here.
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) =>
        callback(null, originAllowed(this.config.corsOrigins, req)),
      maxHttpBufferSize: this.config.limits.maxPayloadBytes,
      perMessageDeflate: false,
      transports: ['websocket', 'polling'],
      pingInterval: this.config.transport.pingIntervalMs,
      pingTimeout: this.config.transport.pingTimeoutMs,
      connectTimeout: this.config.transport.handshakeTimeoutMs,
    }) as AppServer;
    new ConnectionGuard({
      maxBufferBytes: this.config.transport.maxSocketBufferBytes,
      handshakeTimeoutMs: this.config.transport.handshakeTimeoutMs,
      onSlowConsumer: () => this.observer?.slowConsumerDisconnected?.(),
      onHandshakeTimeout: () => this.observer?.handshakeRefused?.('TIMEOUT'),
    }).attach(server);
    server.use((socket, next) => {
      this.authenticator.authenticate(socket).then(
        (data) => {
          socket.data = data;
          next();
        },
        (error: unknown) => {
          const { error: appError } = toAppError(error);
          this.observer?.handshakeRefused?.(appError.code);
          next(handshakeError(appError));
        },
      );
    });
    this.realtime = this.appContext.get(RealtimeService);
    this.budgets = this.appContext.get(UserEventBudgets);
    this.realtime.bind(server);
    for (const configure of this.configure) void configure(server);
    return server;
  }

  override bindMessageHandlers(
    rawSocket: Socket,
    handlers: MessageMappingProperties[],
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    const socket = rawSocket as unknown as AppSocket;
    let table = this.handlers.get(socket);
    if (!table) {
      const created: Handler[] = [];
      table = created;
      this.handlers.set(socket, created);
      const { eventsPerSecond, burst } = this.config.rateLimit;
      this.limits.set(socket, new SocketLimits(eventsPerSecond, burst));
      socket.onAny((event: string, ...args: unknown[]) => void this.dispatch(socket, created, event, args));
    }
    for (const { message, callback } of handlers) {
      const event = String(message);
      let slot = this.slots.get(event);
      if (slot === undefined) this.slots.set(event, (slot = this.slots.size));
      table[slot] = callback as Handler;
    }
  }

  private retainBudget(socket: AppSocket): UserBudget {
    const budgets = this.budgets!;
    const budget = budgets.retain(socket.data.user.id);
    socket.on('disconnect', () => budgets.release(budget));
    return budget;
  }

  private async dispatch(socket: AppSocket, table: Handler[], event: string, args: unknown[]) {
    const started = performance.now();
    this.realtime!.pendingEvents += 1;
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (response: unknown) => void) : undefined;
    const data = args.length > (ack ? 1 : 0) ? args[0] : undefined;
    const slot = this.slots.get(event);
    const handler = slot === undefined ? undefined : table[slot];
    const name = handler ? event : String(event).slice(0, 64);

    // Every outcome goes through `reply`: the ack when the client gave one, otherwise an
    // `exception` event for failures (PROTOCOL §1). WsExceptionFilter answers through it too.
    let outcome: Ack<unknown> | undefined;
    const reply = (response: Ack<unknown>) => {
      if (outcome) return;
      outcome = response;
      if (ack) ack(response);
      else if (!response.ok) socket.emit('exception', { event: name, error: response.error });
    };

    // The socket's bucket, then its user's budget (across their sockets and instances; it waits
    // for a lease only when this instance holds none of the user's shared tokens). A token the
    // socket's bucket gave for an event the user's budget refused goes back.
    const limits = this.limits.get(socket)!;
    const now = Date.now();
    let retryAfterMs = limits.take(now);
    if (retryAfterMs === 0) {
      const budget = (limits.budget ??= this.retainBudget(socket));
      retryAfterMs = budget.take(now);
      if (retryAfterMs === LEASE_PENDING) retryAfterMs = await budget.acquire();
      if (retryAfterMs > 0) limits.giveBack();
    }
    limits.refusedInARow = retryAfterMs > 0 ? limits.refusedInARow + 1 : 0;
    if (retryAfterMs > 0) {
      // A socket that keeps flooding is cut off; until then each event is told when to retry.
      if (limits.refusedInARow >= this.config.rateLimit.disconnectAfter) socket.disconnect(true);
      else reply(failure('RATE_LIMITED', 'Too many events; slow down', { retryAfterMs }));
    } else if (!handler) {
      reply(failure('NOT_FOUND', `Unknown event "${name}"`));
    } else {
      try {
        // Nest's context wrapper runs pipes and filters; failures arrive through `reply`.
        let result = await handler(data, reply as (response: unknown) => void);
        if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
        reply({ ok: true, data: result ?? {} });
      } catch (error) {
        reply({ ok: false, error: toAppError(error).error.toBody() });
      }
    }
    this.realtime!.pendingEvents -= 1;
    this.observer?.event(
      handler ? event : UNKNOWN_EVENT,
      (performance.now() - started) / 1000,
      outcome?.ok === false ? outcome.error.code : undefined,
    );
  }
}

const UNKNOWN_EVENT = '(unknown)';

/**
 * The `connect_error` of a refused handshake: "unauthorized" (UNAUTHORIZED / TOKEN_EXPIRED),
 * "forbidden" (a cap such as MAX_CONNECTIONS_PER_USER, with `details.limit`), or "unavailable".
 */
function handshakeError(appError: AppError): Error & { data: ErrorBody } {
  const { code } = appError;
  const message = code === 'TOKEN_EXPIRED' || code === 'UNAUTHORIZED' ? 'unauthorized' : code === 'FORBIDDEN' ? 'forbidden' : 'unavailable';
  const err = new Error(message) as Error & { data: ErrorBody };
  err.data =
    message === 'unauthorized'
      ? { code, message: appError.message }
      : message === 'forbidden'
        ? appError.toBody()
        : { code: 'INTERNAL', message: 'The service cannot accept connections right now' };
  return err;
}

/**
 * Browsers send `Origin`; it must be on CORS_ORIGINS or be this server itself (the demo page).
 * Clients without `Origin` (mobile apps, servers, tests) are not browsers and pass.
 */
export function originAllowed(allowed: AppConfig['corsOrigins'], req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (allowed === true || !origin) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function failure(code: ErrorCode, message: string, details?: unknown): AckError {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}
