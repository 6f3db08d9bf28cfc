import { HttpAdapterHost } from '@nestjs/core';
import { WebSocketServer, type OnGatewayConnection } from '@nestjs/websockets';
import { RealtimeGateway } from '../realtime-gateway.decorator';
import { RealtimeService } from '../realtime.service';
import type { AppServer, AppSocket } from '../socket.types';

/**
 * The sockets of this instance, for the deploy hand-over (SIGTERM): stop taking connections,
 * close every connection so its client reconnects (through the load balancer, to another
 * instance), and know when the events they sent have all been answered.
 */
@RealtimeGateway()
export class LocalSockets implements OnGatewayConnection {
  @WebSocketServer() private readonly server?: AppServer;
  private draining = false;

  constructor(
    private readonly http: HttpAdapterHost,
    private readonly realtime: RealtimeService,
  ) {}

  handleConnection(socket: AppSocket): void {
    // A connection that slipped in on a kept-alive HTTP connection during the hand-over goes too.
    if (this.draining) socket.conn.close();
  }

  /** Stops listening (the load balancer's health checks fail, new clients go elsewhere). */
  stopAccepting(): void {
    this.draining = true;
    const server = this.http.httpAdapter?.getHttpServer() as
      { close?: (cb?: (err?: Error) => void) => void; listening?: boolean } | undefined;
    if (server?.listening) server.close?.(() => undefined);
  }

  /**
   * Closes the transport of every local socket without a socket.io disconnect packet: clients see
   * "transport close" and reconnect by themselves (after "io server disconnect" they would not).
   * The server runs the normal disconnect path for each.
   */
  dropAll(): number {
    const sockets = [...(this.server?.sockets.sockets.values() ?? [])];
    for (const socket of sockets) socket.conn.close();
    return sockets.length;
  }

  count(): number {
    return this.server?.sockets.sockets.size ?? 0;
  }

  /** Client events received and not answered yet (counted by the dispatcher). */
  pendingEvents(): number {
    return this.realtime.pendingEvents;
  }
}
