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
}
