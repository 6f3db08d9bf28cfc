import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';

const WINDOW_SECONDS = 15 * 60;

/**
 * Slows down password guessing: failed logins per username+IP, and all attempts per IP, each
 * within 15 minutes. A success clears the username+IP count.
 */
@Injectable()
export class LoginThrottle {
  private readonly failures: RateLimiterAbstract;
  private readonly attempts: RateLimiterAbstract;

  constructor(@InjectConfig() config: AppConfig) {
    this.failures = new RateLimiterMemory({ keyPrefix: 'login-fail', points: config.rateLimit.loginPerUser, duration: WINDOW_SECONDS });
    this.attempts = new RateLimiterMemory({ keyPrefix: 'login-ip', points: config.rateLimit.loginPerIp, duration: WINDOW_SECONDS });
  }

  /** Throws RATE_LIMITED (with `retryAfterMs`) when this attempt must not even be checked. */
  async before(username: string, ip: string): Promise<void> {
    const failures = await this.failures.get(failureKey(username, ip));
    if (failures && failures.consumedPoints >= this.failures.points) {
      throw limited(failures.msBeforeNext);
    }
    try {
      await this.attempts.consume(ip);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw limited(error.msBeforeNext);
      throw error;
    }
  }

  async failed(username: string, ip: string): Promise<void> {
    await this.failures.penalty(failureKey(username, ip));
  }

  async succeeded(username: string, ip: string): Promise<void> {
    await this.failures.delete(failureKey(username, ip));
  }
}

function failureKey(username: string, ip: string): string {
  return `${username.toLowerCase()}|${ip}`;
}

function limited(retryAfterMs: number): AppError {
  return new AppError('RATE_LIMITED', 'Too many login attempts; try again later', { retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) });
}
