import { Logger, type INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import type { ConnectionLifecycle } from '../connections/connection-lifecycle';
import type { LocalSockets } from '../connections/local-sockets';
import type { IoServer } from '../io-server';
import type { AppServer, AppSocket } from '../socket.types';
import { ConnectionGuard } from './connection-guard';
import type { EventDispatcher } from './event-dispatcher';
import { installHandshake, type HandshakeGuard } from './handshake';
import { serverOptions } from './server-options';

const handshakeLogger = new Logger('Handshake');

/** Extra work on the raw server once it exists (the Redis adapter hooks in here). */
export type ServerConfigurer = (server: AppServer) => void | Promise<void>;

/** What the adapter puts together; `createApp` takes each from the application's container. */
export interface RealtimeParts {
  config: AppConfig;
  io: IoServer;
  guard: HandshakeGuard;
  lifecycle: ConnectionLifecycle;
  local: LocalSockets;
  dispatcher: EventDispatcher;
  configure?: ServerConfigurer[];
}

/**
 * socket.io adapter for every gateway. It only assembles the realtime floor's parts: the server
 * options, the transport guard (buffer cap, heartbeat, handshake timeout), the handshake
 * (`io.use`), the connection lifecycle, and the event dispatcher that replaces Nest's per-handler
 * RxJS pipelines.
 */
export class RealtimeIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly parts: RealtimeParts,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { config, io, lifecycle, dispatcher } = this.parts;
    const server = super.createIOServer(port, serverOptions(config, options)) as AppServer;
    new ConnectionGuard({
      maxBufferBytes: config.transport.maxSocketBufferBytes,
      handshakeTimeoutMs: config.transport.handshakeTimeoutMs,
      onSlowConsumer: () => dispatcher.observer?.slowConsumerDisconnected?.(),
      onHandshakeTimeout: () => {
        dispatcher.observer?.handshakeRefused?.('TIMEOUT');
        handshakeLogger.log(`handshake refused: TIMEOUT (no socket.io CONNECT within ${config.transport.handshakeTimeoutMs} ms)`);
      },
    }).attach(server);
    installHandshake(server, { ...this.parts, observer: dispatcher.observer });
    server.on('connection', (socket) => void lifecycle.connect(socket));
    io.set(server);
    for (const configure of this.parts.configure ?? []) void configure(server);
    return server;
  }

  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    // Nest types the socket loosely; every socket of this server is an AppSocket.
    this.parts.dispatcher.bind(socket as AppSocket, handlers);
  }
}
