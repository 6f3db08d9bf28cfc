import { Injectable } from '@nestjs/common';
import type { SocketData } from '../contracts';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { AppError } from '../common/errors/app-error';
import type { HandshakeAuthenticator } from '../realtime/io/realtime-io.adapter';
import type { AppSocket } from '../realtime/socket.types';
import { bearerToken, TokenService } from '../auth/token.service';
import { UsersService } from '../users/users.service';
import { SessionsService } from './sessions.service';

/**
 * Runs in socket.io middleware (`io.use`) for every handshake: token from `auth.token` or an
 * `Authorization: Bearer` header (never the query string), an existing user, a session, and a
 * place in the connection registry within MAX_CONNECTIONS_PER_USER.
 */
@Injectable()
export class JwtHandshakeAuthenticator implements HandshakeAuthenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async authenticate(socket: AppSocket): Promise<SocketData> {
    const { auth, headers } = socket.handshake;
    const token: unknown = auth?.token !== undefined ? auth.token : bearerToken(headers.authorization);
    if (token === undefined) throw AppError.unauthorized('Missing token');
    const verified = this.tokens.verify(token);
    const user = await this.users.findById(verified.userId);
    if (!user) throw AppError.unauthorized('Invalid token');
    const requested = typeof auth?.sessionId === 'string' ? auth.sessionId : undefined;
    const { sessionId, resumed } = await this.sessions.resolve(user.id, requested);
    const data: SocketData = { user, sessionId, resumed, tokenExpiresAt: verified.expiresAt };
    // The registry step reads socket.data (also when the client leaves before socket.io connects it).
    socket.data = data;
    await this.sessions.admit(socket, this.config.limits.connectionsPerUser);
    return data;
  }
}
