import { Injectable } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { InjectRedis, type RedisConnections } from '../redis/redis.providers';
import { throttleLimiter } from './login-throttle';

const WINDOW_SECONDS = 60 * 60;

/**
 * Registrations per client address per hour (REGISTER_MAX_PER_IP): registration is open, and each
 * one costs a scrypt hash and a user row. Shared through Redis like the login throttle, with the
 * same per-instance insurance limiter while Redis is unreachable.
 */
@Injectable()
export class RegisterThrottle {
  private readonly perIp: RateLimiterAbstract;

  constructor(@InjectConfig() config: AppConfig, @InjectRedis() redis: RedisConnections | null = null) {
    this.perIp = throttleLimiter(redis, 'register-ip', config.registerPerIp, WINDOW_SECONDS);
  }

  /** Counts this attempt; RATE_LIMITED (with `retryAfterMs`) over the limit. */
  async consume(ip: string): Promise<void> {
    try {
      await this.perIp.consume(ip);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const retryAfterMs = Math.max(1, Math.ceil(error.msBeforeNext));
        throw AppError.of('RATE_LIMITED', { retryAfterMs }, 'Too many registrations from this address; try again later');
      }
      throw error;
    }
  }

  /** Gives the attempt back when it was refused before any work (hash queue full). */
  async refund(ip: string): Promise<void> {
    await this.perIp.reward(ip);
  }
}
