import { AppError } from '../common/errors/app-error';
import { automock } from '../testing/automock';
import { PasswordHasher } from './password-hasher';
import { UsersRepository, type UserRow } from './users.repository';
import { UsersService } from './users.service';

const row: UserRow = {
  id: 'u1',
  username: 'alice',
  display_name: 'Alice',
  password_hash: 'scrypt$...',
  created_at: '2026-01-01T00:00:00.000Z',
  last_seen_at: null,
  external_id: null,
  deleted_at: null,
  tokens_valid_after: null,
};

describe('UsersService', () => {
  const setup = () => {
    const repo = automock(UsersRepository);
    const hasher = automock(PasswordHasher);
    return { repo, hasher, service: new UsersService(repo as unknown as UsersRepository, hasher as unknown as PasswordHasher) };
  };

  it('registers with a lower-cased username and a hashed password', async () => {
    const { repo, hasher, service } = setup();
    repo.findByUsername.mockResolvedValue(undefined);
    hasher.hash.mockResolvedValue('scrypt$hashed');
    repo.insert.mockResolvedValue(undefined);
    const user = await service.register({ username: 'Alice', password: 'secret-password' });
    expect(user).toEqual({ id: expect.any(String), username: 'alice', displayName: 'alice', createdAt: expect.any(String) });
    expect(repo.insert).toHaveBeenCalledWith(expect.objectContaining({ username: 'alice', password_hash: 'scrypt$hashed' }));
    expect(JSON.stringify(repo.insert.mock.calls)).not.toContain('secret-password');
  });

  it('refuses a taken username with CONFLICT, also when the insert loses a race', async () => {
    const { repo, hasher, service } = setup();
    repo.findByUsername.mockResolvedValueOnce(row);
    await expect(service.register({ username: 'alice', password: 'x'.repeat(8) })).rejects.toMatchObject({ code: 'CONFLICT' });

    repo.findByUsername.mockResolvedValueOnce(undefined).mockResolvedValueOnce(row);
    hasher.hash.mockResolvedValue('h');
    repo.insert.mockRejectedValue(new Error('UNIQUE constraint failed'));
    await expect(service.register({ username: 'alice', password: 'x'.repeat(8) })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('gives the same error for an unknown user and a wrong password, and still spends a hash on unknown users', async () => {
    const { repo, hasher, service } = setup();
    repo.findByUsername.mockResolvedValueOnce(undefined);
    hasher.verifyNothing.mockResolvedValue(false);
    const unknown = await service.authenticate('nobody', 'pw').catch((e: AppError) => e);
    expect(hasher.verifyNothing).toHaveBeenCalledTimes(1);

    repo.findByUsername.mockResolvedValueOnce(row);
    hasher.verify.mockResolvedValue(false);
    const wrong = await service.authenticate('alice', 'pw').catch((e: AppError) => e);
    expect(unknown).toBeInstanceOf(AppError);
    expect(wrong).toBeInstanceOf(AppError);
    expect((unknown as AppError).toBody()).toEqual((wrong as AppError).toBody());
  });

  it('authenticates case-insensitively', async () => {
    const { repo, hasher, service } = setup();
    repo.findByUsername.mockResolvedValue(row);
    hasher.verify.mockResolvedValue(true);
    expect((await service.authenticate('ALICE', 'pw')).id).toBe('u1');
    expect(repo.findByUsername).toHaveBeenCalledWith('alice');
  });
});
