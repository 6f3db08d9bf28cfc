import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { PasswordHasher } from './password-hasher';
import { toUser } from './users.mapper';
import { UsersRepository, type UserRow } from './users.repository';

/** A user the app's backend creates (`POST /server/v1/users`): no password, logs in with minted tokens. */
export interface ProvisionedUser {
  username: string;
  displayName?: string;
  externalId?: string;
}

/** The password hash of users without a password: no password verifies against it. */
export const NO_PASSWORD = '!';

export interface NewUser {
  username: string;
  password: string;
  displayName?: string;
}

/** The server API's system user: `~` keeps its name out of every valid username. */
export const SYSTEM_USER = { id: 'system', username: '~system', display_name: 'System' } as const;

@Injectable()
export class UsersService {
  private system?: Promise<User>;

  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
  ) {}

  /** Creates a user; CONFLICT when the (case-insensitive) username is taken. */
  register(input: NewUser): Promise<User> {
    return this.insertNew(input, () => this.passwords.hash(input.password));
  }

  /**
   * Creates a user without a password. Idempotent on `externalId`: the user already provisioned
   * with it is returned as it is. CONFLICT when the username belongs to someone else.
   */
  async provision(input: ProvisionedUser): Promise<User> {
    const existing = () => (input.externalId === undefined ? Promise.resolve(undefined) : this.users.findByExternalId(input.externalId));
    const found = await existing();
    if (found) return toUser(found);
    return this.insertNew(input, () => Promise.resolve(NO_PASSWORD), existing);
  }

  /** Inserts a new user; `raced` names the winner of a race the unique indexes decided, if any. */
  private async insertNew(
    input: ProvisionedUser,
    passwordHash: () => Promise<string>,
    raced: () => Promise<UserRow | undefined> = () => Promise.resolve(undefined),
  ): Promise<User> {
    const username = input.username.toLowerCase();
    if (await this.users.findByUsername(username)) throw AppError.of('USERNAME_TAKEN');
    const row = {
      id: randomUUID(),
      username,
      display_name: input.displayName?.trim() || username,
      password_hash: await passwordHash(),
      created_at: new Date().toISOString(),
      last_seen_at: null,
      external_id: input.externalId ?? null,
    };
    try {
      await this.users.insert(row);
    } catch (error) {
      // Two calls racing for one name (or one externalId): the unique indexes decide.
      const winner = await raced();
      if (winner) return toUser(winner);
      if (await this.users.findByUsername(username)) throw AppError.of('USERNAME_TAKEN');
      throw error;
    }
    return toUser(row);
  }

  /**
   * The author of the server API's messages without `from`: a user row (so its DMs are
   * conversations like any other) with a name no account can have.
   */
  async systemUser(): Promise<User> {
    const row = { ...SYSTEM_USER, password_hash: NO_PASSWORD, created_at: new Date(0).toISOString(), last_seen_at: null };
    this.system ??= this.users.insertIfAbsent(row).then(() => toUser(row));
    return this.system.catch((error: unknown) => {
      this.system = undefined;
      throw error;
    });
  }

  /** Marks the user deleted (UsersRepository.markDeleted); false when there was no such user. */
  markDeleted(id: string): Promise<boolean> {
    return this.users.markDeleted(id, new Date().toISOString());
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
