import { Injectable } from '@nestjs/common';
import type { SocketData } from '../contracts';
import { AppError } from '../common/errors/app-error';
import type { HandshakeGuard } from '../realtime/io/handshake';
import type { AppSocket } from '../realtime/socket.types';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { bearerToken } from '../auth/token.service';
import { SessionsService } from './sessions.service';

/**
 * Who a handshake is: token from `auth.token` or an `Authorization: Bearer` header (never the
 * query string), judged by the same guard as REST (BearerAuthGuard), and the session (resumed or
 * new). Runs in socket.io middleware (`io.use`).
 */
@Injectable()
export class JwtHandshakeAuthenticator implements HandshakeGuard {
  constructor(
    private readonly guard: BearerAuthGuard,
    private readonly sessions: SessionsService,
  ) {}

  async authenticate(socket: AppSocket): Promise<SocketData> {
    const { auth, headers } = socket.handshake;
    const token: unknown = auth?.token !== undefined ? auth.token : bearerToken(headers.authorization);
    if (token === undefined) throw AppError.of('AUTH_REQUIRED', 'Missing token');
    const { user, authSessionId, expiresAt } = await this.guard.authenticate(token);
    const requested = typeof auth?.sessionId === 'string' ? auth.sessionId : undefined;
    const { sessionId, resumed } = await this.sessions.resolve(user.id, requested, authSessionId);
    const data: SocketData = { user, sessionId, resumed, tokenExpiresAt: expiresAt };
    if (authSessionId) data.authSessionId = authSessionId;
    return data;
  }

  /**
   * The socket is not admitted (over MAX_CONNECTIONS_PER_USER, the registry down, or its client
   * gone): a session this handshake made is marked as left, as its last socket going would
   * (`SessionSweeper.lastUse`); else it would count as connected for ever, and be kept before the
   * user's real sessions when their sessions are pruned. A resumed session is left as it is: its
   * other sockets, if any, are not counted here, and their disconnect records it.
   */
  async abandoned(socket: AppSocket): Promise<void> {
    if (!socket.data.resumed) await this.sessions.left(socket.data.sessionId);
  }
}
