import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { PasswordHasher } from './password-hasher';
import { toUser } from './users.mapper';
import { UsersRepository } from './users.repository';

export interface NewUser {
  username: string;
  password: string;
  displayName?: string;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
  ) {}

  /** Creates a user; CONFLICT when the (case-insensitive) username is taken. */
  async register(input: NewUser): Promise<User> {
    const username = input.username.toLowerCase();
    if (await this.users.findByUsername(username)) throw AppError.of('USERNAME_TAKEN');
    const row = {
      id: randomUUID(),
      username,
      display_name: input.displayName?.trim() || username,
      password_hash: await this.passwords.hash(input.password),
      created_at: new Date().toISOString(),
      last_seen_at: null,
    };
    try {
      await this.users.insert(row);
    } catch (error) {
      // Two registrations racing for one name: the unique index decides.
      if (await this.users.findByUsername(username)) throw AppError.of('USERNAME_TAKEN');
      throw error;
    }
    return toUser(row);
  }

  /** The user for these credentials, or UNAUTHORIZED with one message whatever was wrong. */
  async authenticate(username: string, password: string): Promise<User> {
    const row = await this.users.findByUsername(username.toLowerCase());
    const valid = row ? await this.passwords.verify(password, row.password_hash) : await this.passwords.verifyNothing(password);
    if (!row || !valid) throw AppError.of('CREDENTIALS_INVALID');
    return toUser(row);
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.users.findById(id);
    return row && toUser(row);
  }

  async findByIds(ids: readonly string[]): Promise<User[]> {
    return (await this.users.findByIds([...new Set(ids)])).map(toUser);
  }

  async search(prefix: string, limit: number): Promise<User[]> {
    return (await this.users.search(prefix.toLowerCase(), limit)).map(toUser);
  }
}
