import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

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
});
