import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { InjectRedis, type RedisConnections } from '../redis/redis.providers';

const WINDOW_SECONDS = 15 * 60;

/**
 * Slows down password guessing: failed logins per username+IP, and all attempts per IP, each
 * within 15 minutes. A success clears the username+IP count.
 *
 * With several instances (REDIS_URL) the counts live in Redis, so a guesser gains nothing by
 * spreading attempts over instances; while Redis is unreachable each instance counts on its own
 * (the insurance limiter) rather than refusing every login.
 */
@Injectable()
export class LoginThrottle {
  private readonly failures: RateLimiterAbstract;
  private readonly attempts: RateLimiterAbstract;

  constructor(@InjectConfig() config: AppConfig, @InjectRedis() redis: RedisConnections | null = null) {
    this.failures = throttleLimiter(redis, 'login-fail', config.rateLimit.loginPerUser, WINDOW_SECONDS);
    this.attempts = throttleLimiter(redis, 'login-ip', config.rateLimit.loginPerIp, WINDOW_SECONDS);
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

  /** Gives back the attempt `before` counted when the login was refused without being checked (hash queue full). */
  async refund(ip: string): Promise<void> {
    await this.attempts.reward(ip);
  }

  async failed(username: string, ip: string): Promise<void> {
    await this.failures.penalty(failureKey(username, ip));
  }

  async succeeded(username: string, ip: string): Promise<void> {
    await this.failures.delete(failureKey(username, ip));
  }
}

/** In memory, or in Redis with an in-memory insurance limiter that counts on its own while Redis is unreachable. */
export function throttleLimiter(redis: RedisConnections | null, keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
  const local = new RateLimiterMemory({ keyPrefix, points, duration });
  if (!redis) return local;
  return new RateLimiterRedis({
    storeClient: redis.client,
    keyPrefix: `${redis.prefix}:${keyPrefix}`,
    points,
    duration,
    insuranceLimiter: local,
  });
}

function failureKey(username: string, ip: string): string {
  return `${username.toLowerCase()}|${ip}`;
}

function limited(retryAfterMs: number): AppError {
  return AppError.of('RATE_LIMITED', { retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) }, 'Too many login attempts; try again later');
}
