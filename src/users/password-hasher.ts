import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { QueueFullError, WorkLimiter } from './work-limiter';

const KEY_LENGTH = 32;
// N=2^15, r=8: 32 MiB and ~50–100 ms per hash on a small server core; OWASP's floor for scrypt.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
/** Assumed duration of one hash until one has been measured (for `retryAfterMs`). */
const INITIAL_HASH_MS = 100;
/** Salt of the stand-in check for unknown usernames; it only has to cost what a real check costs. */
const DUMMY_SALT = Buffer.alloc(16, 0x5a);

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scrypt(password, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/**
 * Salted scrypt hashes in a self-describing format (`scrypt$N$r$p$salt$hash`), so the cost can
 * be raised later while old hashes still verify.
 *
 * Every derivation (hash, verify, the stand-in for an unknown user) goes through one limiter:
 * scrypt runs on libuv's threadpool, and a flood of logins must not take all of its threads from
 * the file system, DNS and zlib work of everything else. Past its queue, `RATE_LIMITED` at once.
 */
@Injectable()
export class PasswordHasher {
  readonly limiter: WorkLimiter;

  constructor(@InjectConfig() config: Pick<AppConfig, 'passwordHash'>) {
    this.limiter = new WorkLimiter(config.passwordHash.concurrency, config.passwordHash.queue, INITIAL_HASH_MS);
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.derive(password, salt, PARAMS);
    return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    const key = await this.derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
    return key.length === expected.length && timingSafeEqual(key, expected);
  }

  /**
   * Spends what a real check costs (one derivation with the current parameters, through the same
   * queue), so an unknown username is told apart neither by timing nor by a different refusal.
   */
  async verifyNothing(password: string): Promise<false> {
    await this.derive(password, DUMMY_SALT, PARAMS);
    return false;
  }

  private async derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
    try {
      return await this.limiter.run(() => derive(password, salt, params));
    } catch (error) {
      if (error instanceof QueueFullError) {
        throw AppError.of('RATE_LIMITED', { retryAfterMs: error.retryAfterMs }, 'Too many sign-ups and logins at once; try again shortly');
      }
      throw error;
    }
  }
}
