import { Injectable } from '@nestjs/common';
import type { AuthResult, User } from '../contracts';
import { UsersService, type NewUser } from '../users/users.service';
import { AppError } from '../common/errors/app-error';
import { LoginThrottle } from './login-throttle';
import { RegisterThrottle } from './register-throttle';
import { AuthSessionsService } from './auth-sessions.service';
import type { Principal } from './principal';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: AuthSessionsService,
    private readonly throttle: LoginThrottle,
    private readonly registrations: RegisterThrottle,
  ) {}

  async register(input: NewUser, ip: string, userAgent?: string): Promise<AuthResult> {
    await this.registrations.consume(ip);
    try {
      return await this.sessions.start(await this.users.register(input), userAgent);
    } catch (error) {
      // Refused before any work (the hash queue was full): that try does not count against the address.
      if (isRateLimited(error)) await this.registrations.refund(ip);
      throw error;
    }
  }

  async login(username: string, password: string, ip: string, userAgent?: string): Promise<AuthResult> {
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
    return this.sessions.start(user, userAgent);
  }

  /** Failed refreshes count per address like failed logins (a valid token is never slowed down). */
  async refresh(refreshToken: string, ip: string): Promise<AuthResult> {
    await this.throttle.before(REFRESH_KEY, ip);
    try {
      return await this.sessions.refresh(refreshToken);
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHORIZED') await this.throttle.failed(REFRESH_KEY, ip);
      throw error;
    } finally {
      // `before` counted an attempt against the address; a refresh is not a password guess.
      await this.throttle.refund(ip);
    }
  }

  /** `POST /users/me/password`: wrong current passwords are throttled like failed logins of that username. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string, ip: string): Promise<void> {
    const { username, id } = principal.user;
    await this.throttle.before(username, ip);
    try {
      await this.users.changePassword(id, currentPassword, newPassword);
    } catch (error) {
      if (error instanceof AppError && error.code === 'FORBIDDEN') await this.throttle.failed(username, ip);
      if (isRateLimited(error)) await this.throttle.refund(ip);
      throw error;
    }
    await this.throttle.succeeded(username, ip);
    await this.sessions.passwordChanged(principal);
  }
}

/** The throttle's "username" for failed refreshes: not a valid username, so it never meets a real one. */
const REFRESH_KEY = '#refresh';

function isRateLimited(error: unknown): boolean {
  return error instanceof AppError && error.code === 'RATE_LIMITED';
}
