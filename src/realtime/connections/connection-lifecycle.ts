import { Injectable, Logger } from '@nestjs/common';
import type { User } from '../../contracts';
import type { AppSocket } from '../socket.types';
import type { ConnectionCounts } from './connection-store';

export interface DisconnectedSocket {
  socketId: string;
  user: User;
  sessionId: string;
  /**
   * The socket belonged to an instance that died without a clean shutdown and was taken over by
   * this one: it has been gone for up to PRESENCE_TTL_MS already, so no further grace applies.
   */
  orphaned?: boolean;
}

/**
 * Capabilities that react to sockets coming and going (presence, modals, chat subscriptions)
 * register here instead of each gateway tracking connections on its own.
 */
export interface ConnectionListener {
  /**
   * Runs before `session` is emitted: join the socket to the rooms it must be in from the start
   * (a client may act as soon as it has `session`). Keep it to what must precede `session`.
   */
  beforeSession?(socket: AppSocket): Promise<void> | void;
  /** Runs after `session` was emitted and the socket is in the registry, in registration order. */
  onConnect?(socket: AppSocket, counts: ConnectionCounts): Promise<void> | void;
  onDisconnect?(socket: DisconnectedSocket, counts: ConnectionCounts): Promise<void> | void;
}

@Injectable()
export class ConnectionLifecycle {
  private readonly logger = new Logger(ConnectionLifecycle.name);
  private readonly listeners: ConnectionListener[] = [];

  register(listener: ConnectionListener): void {
    this.listeners.push(listener);
  }

  async preparing(socket: AppSocket): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener.beforeSession?.(socket);
      } catch (error) {
        this.logger.error({ err: error, socketId: socket.id }, 'before-session listener failed');
      }
    }
  }

  async connected(socket: AppSocket, counts: ConnectionCounts): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener.onConnect?.(socket, counts);
      } catch (error) {
        this.logger.error({ err: error, socketId: socket.id }, 'connect listener failed');
      }
    }
  }

  async disconnected(socket: DisconnectedSocket, counts: ConnectionCounts): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener.onDisconnect?.(socket, counts);
      } catch (error) {
        this.logger.error({ err: error, socketId: socket.socketId }, 'disconnect listener failed');
      }
    }
  }
}
