import { Injectable } from '@nestjs/common';
import type { AuthResult, User } from '../contracts';
import { UsersService, type NewUser } from '../users/users.service';
import { AppError } from '../common/errors/app-error';
import { LoginThrottle } from './login-throttle';
import { RegisterThrottle } from './register-throttle';
import { TokenService } from './token.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
    private readonly registrations: RegisterThrottle,
  ) {}

  async register(input: NewUser, ip: string): Promise<AuthResult> {
    await this.registrations.consume(ip);
    try {
      return this.issue(await this.users.register(input));
    } catch (error) {
      // Refused before any work (the hash queue was full): that try does not count against the address.
      if (isRateLimited(error)) await this.registrations.refund(ip);
      throw error;
    }
  }

  async login(username: string, password: string, ip: string): Promise<AuthResult> {
    await this.throttle.before(username, ip);
    let user: User;
    try {
      user = await this.users.authenticate(username, password);
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHORIZED') await this.throttle.failed(username, ip);
      if (isRateLimited(error)) await this.throttle.refund(ip);
      throw error;
    }
    await this.throttle.succeeded(username, ip);
    return this.issue(user);
  }

  private issue(user: User): AuthResult {
    return { user, accessToken: this.tokens.sign(user.id), tokenType: 'Bearer', expiresIn: this.tokens.expiresInSeconds };
  }
}

function isRateLimited(error: unknown): boolean {
  return error instanceof AppError && error.code === 'RATE_LIMITED';
}
