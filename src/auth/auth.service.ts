import { Injectable } from '@nestjs/common';
import type { AuthResult, User } from '../contracts';
import { UsersService, type NewUser } from '../users/users.service';
import { TokenService } from './token.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
  ) {}

  async register(input: NewUser): Promise<AuthResult> {
    return this.issue(await this.users.register(input));
  }

  async login(username: string, password: string): Promise<AuthResult> {
    return this.issue(await this.users.authenticate(username, password));
  }

  private issue(user: User): AuthResult {
    return { user, accessToken: this.tokens.sign(user.id), tokenType: 'Bearer', expiresIn: this.tokens.expiresInSeconds };
  }
}
