import { Injectable } from '@nestjs/common';
import type { AuthResult, User } from '../contracts';
import { UsersService, type NewUser } from '../users/users.service';
import { AppError } from '../common/errors/app-error';
import { LoginThrottle } from './login-throttle';
import { TokenService } from './token.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
  ) {}

  async register(input: NewUser): Promise<AuthResult> {
    return this.issue(await this.users.register(input));
  }

  async login(username: string, password: string, ip: string): Promise<AuthResult> {
    await this.throttle.before(username, ip);
    let user: User;
    try {
      user = await this.users.authenticate(username, password);
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHORIZED') await this.throttle.failed(username, ip);
      throw error;
    }
    await this.throttle.succeeded(username, ip);
    return this.issue(user);
  }

  private issue(user: User): AuthResult {
    return { user, accessToken: this.tokens.sign(user.id), tokenType: 'Bearer', expiresIn: this.tokens.expiresInSeconds };
  }
}
