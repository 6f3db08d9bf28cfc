import { HttpAdapterHost } from '@nestjs/core';
import { WebSocketServer, type OnGatewayConnection } from '@nestjs/websockets';
import { RealtimeGateway } from '../common/ws/realtime-gateway.decorator';
import type { AppServer, AppSocket } from '../common/ws/socket.types';

type AckFactory = (id: number) => (...args: unknown[]) => void;

/**
 * The sockets of this instance, for the deploy hand-over (SIGTERM): stop taking connections,
 * close every connection so its client reconnects (through the load balancer, to another
 * instance), and know when the events they sent have all been answered.
 */
@RealtimeGateway()
export class LocalSockets implements OnGatewayConnection {
  @WebSocketServer() private readonly server?: AppServer;
  private draining = false;
  private inFlight = 0;

  constructor(private readonly http: HttpAdapterHost) {}

  handleConnection(socket: AppSocket): void {
    // A connection that slipped in on a kept-alive HTTP connection during the hand-over goes too.
    if (this.draining) return void socket.conn.close();
    this.countAcks(socket);
  }

  /**
   * Every client event comes with an ack (PROTOCOL §1) and the dispatcher answers each one, also
   * on failure; counting acks created against acks answered tells whether events are in flight.
   * socket.io creates the ack through `Socket#ack` for each incoming event, so it is wrapped per socket.
   */
  private countAcks(socket: AppSocket): void {
    const target = socket as unknown as { ack?: AckFactory };
    const create = target.ack;
    if (typeof create !== 'function') return;
    target.ack = (id: number) => {
      const send = create.call(socket, id);
      let answered = false;
      this.inFlight += 1;
      return (...args: unknown[]) => {
        if (!answered) this.inFlight -= 1;
        answered = true;
        send(...args);
      };
    };
  }

  /** Stops listening (the load balancer's health checks fail, new clients go elsewhere). */
  stopAccepting(): void {
    this.draining = true;
    const server = this.http.httpAdapter?.getHttpServer() as { close?: (cb?: (err?: Error) => void) => void; listening?: boolean } | undefined;
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

  /** Client events received and not answered yet. */
  pendingEvents(): number {
    return this.inFlight;
  }
}
