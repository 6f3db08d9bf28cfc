import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IoServer } from '../io-server';

/**
 * The sockets of this instance, for the deploy hand-over (SIGTERM): stop taking connections and
 * close every connection so its client reconnects (through the load balancer, to another instance).
 */
@Injectable()
export class LocalSockets {
  private stopped = false;

  constructor(
    private readonly http: HttpAdapterHost,
    private readonly io: IoServer,
  ) {}

  /** True once the hand-over began: a connection that slips in on a kept-alive HTTP connection is closed. */
  get draining(): boolean {
    return this.stopped;
  }

  /** Stops listening (the load balancer's health checks fail, new clients go elsewhere). */
  stopAccepting(): void {
    this.stopped = true;
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
    const sockets = [...(this.io.peek()?.sockets.sockets.values() ?? [])];
    for (const socket of sockets) socket.conn.close();
    return sockets.length;
  }

  count(): number {
    return this.io.peek()?.sockets.sockets.size ?? 0;
  }
}
