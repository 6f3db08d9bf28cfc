import { AppError } from '../common/errors/app-error';
import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher({ passwordHash: { concurrency: 2, queue: 8 } });

  it('hashes with a random salt and verifies only the right password', async () => {
    const [a, b] = await Promise.all([hasher.hash('correct horse'), hasher.hash('correct horse')]);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(await hasher.verify('correct horse', a)).toBe(true);
    expect(await hasher.verify('correct horsE', a)).toBe(false);
  });

  it('rejects malformed stored hashes', async () => {
    expect(await hasher.verify('x', 'plaintext')).toBe(false);
    expect(await hasher.verify('x', 'bcrypt$1$2$3$a$b')).toBe(false);
  });

  it('answers RATE_LIMITED with retryAfterMs past the queue, for hashes, checks and the unknown-user stand-in alike', async () => {
    const small = new PasswordHasher({ passwordHash: { concurrency: 1, queue: 1 } });
    const stored = await small.hash('password-1');
    const accepted = [small.hash('a-password'), small.verify('password-1', stored)];
    expect(small.limiter.active + small.limiter.queued).toBe(2);
    for (const refused of [small.hash('x'), small.verify('password-1', stored), small.verifyNothing('x')]) {
      const error = await refused.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: expect.any(Number) } });
      expect((error as AppError & { details: { retryAfterMs: number } }).details.retryAfterMs).toBeGreaterThan(0);
    }
    const [hash, ok] = await Promise.all(accepted);
    expect(hash).toMatch(/^scrypt\$/);
    expect(ok).toBe(true);
  });

  it('costs an unknown user one derivation with the current parameters, through the same queue', async () => {
    const counted = new PasswordHasher({ passwordHash: { concurrency: 1, queue: 4 } });
    const run = jest.spyOn(counted.limiter, 'run');
    expect(await counted.verifyNothing('anything')).toBe(false);
    expect(await counted.verifyNothing('anything')).toBe(false);
    expect(run).toHaveBeenCalledTimes(2);
  });
});
