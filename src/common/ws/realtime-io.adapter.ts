import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { AckOk, ErrorBody } from '../../contracts';
import type { AppConfig } from '../../config/app-config';
import { toAppError } from '../errors/app-error';
import { RealtimeService } from './realtime.service';
import { TokenBucket } from './token-bucket';
import type { AppServer, AppSocket } from './socket.types';
import { sendError } from './ws-exception.filter';

type Handler = (data: unknown, ack?: (response: unknown) => void) => unknown;

/** Authenticates a handshake and returns what goes on `socket.data`; throws AppError to refuse. */
export interface HandshakeAuthenticator {
  authenticate(socket: AppSocket): Promise<AppSocket['data']>;
}

/** Extra work on the raw server once it exists (the Redis adapter hooks in here). */
export type ServerConfigurer = (server: AppServer) => void | Promise<void>;

/**
 * socket.io adapter for every gateway:
 * - server options from configuration (CORS, payload limit, no per-message deflate);
 * - JWT authentication in `io.use`, before any handler can run (Nest guards never see the handshake);
 * - one `onAny` listener per socket that dispatches to the gateways' handlers, answers unknown
 *   events with NOT_FOUND and wraps results in the `{ ok, data }` ack envelope. Nest's stock
 *   adapter builds an RxJS pipeline per handler per socket instead.
 */
export class RealtimeIoAdapter extends IoAdapter {
  private readonly handlers = new WeakMap<AppSocket, Map<string, Handler>>();
  private readonly buckets = new WeakMap<AppSocket, TokenBucket>();

  constructor(
    private readonly appContext: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly authenticator: HandshakeAuthenticator,
    private readonly configure: ServerConfigurer[] = [],
  ) {
    super(appContext);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: AppServer = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      serveClient: false,
      cors: { origin: this.config.corsOrigins, credentials: true },
      maxHttpBufferSize: this.config.limits.maxPayloadBytes,
      perMessageDeflate: false,
      transports: ['websocket', 'polling'],
    });
    server.use((socket, next) => {
      this.authenticator.authenticate(socket).then(
        (data) => {
          socket.data = data;
          next();
        },
        (error: unknown) => {
          const { error: appError } = toAppError(error);
          const refused = appError.code === 'TOKEN_EXPIRED' || appError.code === 'UNAUTHORIZED';
          const err = new Error(refused ? 'unauthorized' : 'unavailable') as Error & { data: ErrorBody };
          err.data = refused
            ? { code: appError.code, message: appError.message }
            : { code: 'INTERNAL', message: 'The service cannot accept connections right now' };
          next(err);
        },
      );
    });
    this.appContext.get(RealtimeService).bind(server);
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
      const created = new Map<string, Handler>();
      table = created;
      this.handlers.set(socket, created);
      const { eventsPerSecond, burst } = this.config.rateLimit;
      this.buckets.set(socket, new TokenBucket(eventsPerSecond, burst));
      socket.onAny((event: string, ...args: unknown[]) => void this.dispatch(socket, created, event, args));
    }
    for (const { message, callback } of handlers) table.set(String(message), callback as Handler);
  }

  /** Over the rate limit: RATE_LIMITED, and a socket that keeps flooding is cut off. */
  private refuse(socket: AppSocket, event: string, retryAfterMs: number, ack?: (response: unknown) => void): void {
    const bucket = this.buckets.get(socket)!;
    if (bucket.refusedInARow >= this.config.rateLimit.disconnectAfter) {
      socket.disconnect(true);
      return;
    }
    sendError(socket, event, { code: 'RATE_LIMITED', message: 'Too many events; slow down', details: { retryAfterMs } }, ack);
  }

  private async dispatch(socket: AppSocket, table: Map<string, Handler>, event: string, args: unknown[]) {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (response: unknown) => void) : undefined;
    const data = args.length > (ack ? 1 : 0) ? args[0] : undefined;
    const retryAfterMs = this.buckets.get(socket)!.take();
    if (retryAfterMs > 0) return this.refuse(socket, String(event).slice(0, 64), retryAfterMs, ack);
    const handler = table.get(event);
    if (!handler) {
      const name = String(event).slice(0, 64);
      sendError(socket, name, { code: 'NOT_FOUND', message: `Unknown event "${name}"` }, ack);
      return;
    }
    let replied = false;
    const reply = ack
      ? (response: unknown) => {
          replied = true;
          ack(response);
        }
      : undefined;
    try {
      // Nest's context wrapper runs pipes and filters; a failure is answered by WsExceptionFilter
      // through `reply`, so only a success is left to wrap here.
      let result = await handler(data, reply);
      if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
      if (reply && !replied) reply({ ok: true, data: result ?? {} } satisfies AckOk<unknown>);
    } catch (error) {
      const { error: appError } = toAppError(error);
      if (!replied) sendError(socket, event, appError.toBody(), reply);
    }
  }
}
