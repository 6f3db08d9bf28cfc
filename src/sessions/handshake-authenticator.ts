import { Injectable } from '@nestjs/common';
import type { SocketData } from '../contracts';
import { AppError } from '../common/errors/app-error';
import type { HandshakeGuard } from '../realtime/io/handshake';
import type { AppSocket } from '../realtime/socket.types';
import { bearerToken, TokenService } from '../auth/token.service';
import { UsersService } from '../users/users.service';
import { SessionsService } from './sessions.service';

/**
 * Who a handshake is: token from `auth.token` or an `Authorization: Bearer` header (never the
 * query string), an existing user, and the session (resumed or new). Runs in socket.io middleware.
 */
@Injectable()
export class JwtHandshakeAuthenticator implements HandshakeGuard {
  constructor(
    private readonly tokens: TokenService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  async authenticate(socket: AppSocket): Promise<SocketData> {
    const { auth, headers } = socket.handshake;
    const token: unknown = auth?.token !== undefined ? auth.token : bearerToken(headers.authorization);
    if (token === undefined) throw AppError.of('AUTH_REQUIRED', 'Missing token');
    const verified = this.tokens.verify(token);
    const user = await this.users.findById(verified.userId);
    if (!user) throw AppError.of('TOKEN_INVALID');
    const requested = typeof auth?.sessionId === 'string' ? auth.sessionId : undefined;
    const { sessionId, resumed } = await this.sessions.resolve(user.id, requested);
    return { user, sessionId, resumed, tokenExpiresAt: verified.expiresAt };
  }
}
