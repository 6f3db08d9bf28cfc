import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { UsersService } from '../users/users.service';
import { bearerToken, TokenService } from './token.service';

type AuthedRequest = Request & { user?: User };

/** REST endpoints behind `Authorization: Bearer`; a token for a deleted user is refused. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw AppError.of('AUTH_REQUIRED', 'Missing bearer token');
    const { userId } = this.tokens.verify(token);
    const user = await this.users.findById(userId);
    if (!user) throw AppError.of('TOKEN_INVALID');
    request.user = user;
    return true;
  }
}

/** The user a BearerAuthGuard let in. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): User => {
  const user = context.switchToHttp().getRequest<AuthedRequest>().user;
  if (!user) throw AppError.of('AUTH_REQUIRED');
  return user;
});
