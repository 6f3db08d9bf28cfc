import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { toUser } from '../users/users.mapper';
import type { UserRow } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { AuthSessionsRepository } from './auth-sessions.repository';
import type { Principal } from './principal';
import { decodePart, ProviderTokens } from './provider-tokens';
import { bearerToken, TokenService } from './token.service';

type AuthedRequest = Request & { user?: User; principal?: Principal };

const MAX_TOKEN_LENGTH = 4096;

/**
 * The one guard: REST routes (`Authorization: Bearer`) and the socket.io handshake (the handshake
 * authenticator calls `authenticate` from `io.use`, as Nest guards never see a handshake) judge a
 * token the same way.
 *
 * - The service's own HS256 tokens: verified on a prepared KeyObject; one that names a login
 *   (`sid`) is refused once that login ended (logout, DELETE, password change, refresh reuse).
 * - The identity provider's tokens (JWT_JWKS_URL / JWT_PUBLIC_KEY): the user of that subject,
 *   created on first sight; refused when issued at or before the user's last logout of everything.
 * - Users that were deleted are refused.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly provider: ProviderTokens,
    private readonly users: UsersService,
    private readonly sessions: AuthSessionsRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw AppError.of('AUTH_REQUIRED', 'Missing bearer token');
    const principal = await this.authenticate(token);
    request.principal = principal;
    request.user = principal.user;
    return true;
  }

  /** Throws UNAUTHORIZED (reason TOKEN_INVALID, SESSION_ENDED) or TOKEN_EXPIRED. */
  async authenticate(token: unknown): Promise<Principal> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw AppError.of('TOKEN_INVALID', 'Missing or malformed token');
    }
    if (this.provider.enabled) {
      const header = decodePart(token, 0);
      if (header && this.provider.claims(header, token)) return this.fromProvider(token, header);
    }
    const verified = this.tokens.verify(token);
    const row = await this.sessions.principal(verified.userId, verified.authSessionId);
    const user = usable(row);
    if (verified.authSessionId) {
      if (row!.auth_session_user_id !== row!.id) throw AppError.of('SESSION_ENDED');
    } else if (issuedByThen(row!, verified.issuedAt)) {
      throw AppError.of('SESSION_ENDED');
    }
    return { user, authSessionId: verified.authSessionId, expiresAt: verified.expiresAt };
  }

  private async fromProvider(token: string, header: Record<string, unknown>): Promise<Principal> {
    const identity = await this.provider.verify(token, header);
    const row = await this.users.provisionFromProvider(identity);
    const user = usable(row);
    if (issuedByThen(row, identity.issuedAt)) throw AppError.of('SESSION_ENDED');
    return { user, expiresAt: identity.expiresAt };
  }
}

function usable(row: UserRow | undefined): User {
  if (!row || row.deleted_at !== null) throw AppError.of('TOKEN_INVALID');
  return toUser(row);
}

/** Whether a token of no login, issued at `issuedAt` (epoch seconds), predates the user's last logout of everything. */
function issuedByThen(row: UserRow, issuedAt: number): boolean {
  return row.tokens_valid_after !== null && issuedAt <= Math.floor(Date.parse(row.tokens_valid_after) / 1000);
}

/** The user a BearerAuthGuard let in. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): User => {
  const user = context.switchToHttp().getRequest<AuthedRequest>().user;
  if (!user) throw AppError.of('AUTH_REQUIRED');
  return user;
});

/** The principal (user, login, expiry) a BearerAuthGuard let in. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw AppError.of('AUTH_REQUIRED');
  return principal;
});
