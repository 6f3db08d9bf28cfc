import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { PasswordHasher } from './password-hasher';
import { toUser } from './users.mapper';
import { NO_PASSWORD, UsersRepository, type UserRow } from './users.repository';

/** A user the app's backend creates (`POST /server/v1/users`): no password, logs in with minted tokens. */
export interface ProvisionedUser {
  username: string;
  displayName?: string;
  externalId?: string;
}

export interface NewUser {
  username: string;
  password: string;
  displayName?: string;
}

/** What an identity provider's token says about a user (see ProviderTokens). */
export interface ExternalIdentity {
  subject: string;
  username?: string;
  name?: string;
}

const USERNAME = /^[a-z0-9_.-]{3,32}$/;

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
    // A user without a password here (identity provider, provisioned): the same work and answer as an unknown user.
    const local = row && row.password_hash !== NO_PASSWORD ? row : undefined;
    const valid = local ? await this.passwords.verify(password, local.password_hash) : await this.passwords.verifyNothing(password);
    if (!row || !valid) throw AppError.of('CREDENTIALS_INVALID');
    return toUser(row);
  }

  /**
   * The user of an identity-provider subject, created on first sight (just in time) with an id of
   * our own and the subject as `external_id`. The username is the first free one of
   * `usernameCandidates`; two first connections of one subject at once end with the same user.
   */
  async provisionFromProvider(identity: ExternalIdentity): Promise<UserRow> {
    const existing = await this.users.findByExternalId(identity.subject);
    if (existing) return existing;
    const candidates = usernameCandidates(identity);
    const taken = await this.users.takenUsernames(candidates);
    const username = candidates.find((c) => !taken.has(c)) ?? candidates[candidates.length - 1];
    const row = {
      id: randomUUID(),
      username,
      display_name: (identity.name?.trim() || identity.username?.trim() || username).slice(0, 64),
      password_hash: NO_PASSWORD,
      created_at: new Date().toISOString(),
      last_seen_at: null,
      external_id: identity.subject,
    };
    try {
      await this.users.insert(row);
    } catch (error) {
      // The same subject's other first connection won the unique index (or a name was taken meanwhile).
      const raced = await this.users.findByExternalId(identity.subject);
      if (raced) return raced;
      throw error;
    }
    return { ...row, deleted_at: null, tokens_valid_after: null };
  }

  async updateDisplayName(id: string, displayName: string): Promise<User> {
    await this.users.update(id, { display_name: displayName.trim() });
    const row = await this.users.findById(id);
    if (!row) throw AppError.of('USER_NOT_FOUND');
    return toUser(row);
  }

  /** Checks the current password, then stores the new one; PASSWORD_INVALID when wrong or when the user has none here. */
  async changePassword(id: string, currentPassword: string, newPassword: string): Promise<void> {
    const row = await this.users.findById(id);
    const local = row && row.password_hash !== NO_PASSWORD ? row : undefined;
    const valid = local
      ? await this.passwords.verify(currentPassword, local.password_hash)
      : await this.passwords.verifyNothing(currentPassword);
    if (!local || !valid) throw AppError.of('PASSWORD_INVALID');
    await this.users.update(id, { password_hash: await this.passwords.hash(newPassword) });
  }

  /** Tokens without a login issued at or before `at` are refused from now on (logout of every session). */
  async refuseTokensIssuedBefore(id: string, at: Date): Promise<void> {
    await this.users.update(id, { tokens_valid_after: at.toISOString() });
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

/**
 * Usernames tried for a provider subject, in order, all valid (3–32 of a-z 0-9 _ . -):
 * the JWT_USERNAME_CLAIM lower-cased with other characters as `_` (or `user` without one), then
 * that base cut to 25 characters + `-` + 6 hex characters of SHA-256(subject), then + 12 of them,
 * then `u-` + 30 of them. The same subject always gets the same list, so the outcome depends only on
 * which names are taken; the last one is taken only if SHA-256 collides.
 */
export function usernameCandidates(identity: ExternalIdentity): string[] {
  const digest = createHash('sha256').update(identity.subject).digest('hex');
  let base = (identity.username ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, '_')
    .slice(0, 32);
  if (!USERNAME.test(base)) base = base.length > 0 ? base.padEnd(3, '_') : 'user';
  const short = base.slice(0, 25);
  return [base, `${short}-${digest.slice(0, 6)}`, `${base.slice(0, 19)}-${digest.slice(0, 12)}`, `u-${digest.slice(0, 30)}`];
}
