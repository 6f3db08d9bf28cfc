import { Logger } from '@nestjs/common';
import { toAppError } from '../../common/errors/app-error';
import type { ConnectionLifecycle } from '../connections/connection-lifecycle';
import type { LocalSockets } from '../connections/local-sockets';
import { handshakeFailure } from '../failure';
import type { AppServer, AppSocket } from '../socket.types';
import type { DispatchObserver } from './event-dispatcher';

/**
 * Decides who a handshake is (the auth floor provides it): returns what goes on `socket.data`,
 * or throws an AppError (UNAUTHORIZED, TOKEN_EXPIRED) to refuse it.
 */
export interface HandshakeGuard {
  authenticate(socket: AppSocket): Promise<AppSocket['data']>;
  /** `authenticate` succeeded but the socket is not admitted (refused, or its client left): undo what it left open. */
  abandoned?(socket: AppSocket): Promise<void>;
}

export interface HandshakeParts {
  guard: HandshakeGuard;
  lifecycle: ConnectionLifecycle;
  local: LocalSockets;
  observer?: DispatchObserver;
}

/**
 * socket.io middleware (`io.use`): the guard, then the socket's place in the connection registry
 * (MAX_CONNECTIONS_PER_USER), all before socket.io accepts the connection, so no handler ever
 * runs for a refused one. Nest guards never see a handshake. A connection arriving during the
 * SIGTERM hand-over is closed at the transport: its client retries, elsewhere.
 */
export function installHandshake(server: AppServer, { guard, lifecycle, local, observer }: HandshakeParts): void {
  const logger = new Logger('Handshake');
  // Never in place of the handshake's own outcome (a FORBIDDEN stays a FORBIDDEN).
  const abandon = (socket: AppSocket) =>
    guard.abandoned?.(socket).catch((err: unknown) => logger.warn({ err }, 'could not undo an unadmitted handshake'));
  server.use((socket, next) => {
    if (local.draining) {
      socket.conn.close();
      return;
    }
    guard
      .authenticate(socket)
      .then(async (data) => {
        socket.data = data;
        // Refused at the cap, the registry down, or the client gone: the session is not in use.
        const admitted = await lifecycle.admit(socket).catch(async (error: unknown) => {
          await abandon(socket);
          throw error;
        });
        if (!admitted) await abandon(socket);
      })
      .then(
        () => next(),
        (error: unknown) => {
          const { error: appError, internal } = toAppError(error);
          observer?.handshakeRefused?.(appError.code);
          // The reason and the client's address, never the token.
          const line = `handshake refused: ${appError.code} (${appError.reason}) from ${socket.handshake.address}`;
          if (internal) logger.error({ err: error }, line);
          else logger.log(line);
          next(handshakeFailure(appError));
        },
      );
  });
}
