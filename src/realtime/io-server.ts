import { Injectable } from '@nestjs/common';
import type { AppServer } from './socket.types';

/**
 * This process's socket.io server. Nest creates it through the adapter after every provider
 * exists, so the adapter hands it over here (see `createApp`); everything that emits or counts
 * local sockets reads it from this one place.
 */
@Injectable()
export class IoServer {
  private server?: AppServer;

  set(server: AppServer): void {
    this.server = server;
  }

  /** The server; throws when used before the adapter created it (a wiring mistake). */
  get(): AppServer {
    if (!this.server) throw new Error('the socket.io server is used before the adapter created it');
    return this.server;
  }

  /** The server, or undefined before it exists (metrics, shutdown). */
  peek(): AppServer | undefined {
    return this.server;
  }
}
