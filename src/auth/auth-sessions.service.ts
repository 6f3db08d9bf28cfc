import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AuthResult, AuthSession, SessionEndReason, User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { RealtimeService } from '../realtime/realtime.service';
import { rooms } from '../realtime/rooms';
import { uuidV7 } from '../storage/uuid-v7';
import { UsersService } from '../users/users.service';
import { AuthSessionsRepository } from './auth-sessions.repository';
import type { Principal } from './principal';
import { TokenService } from './token.service';

/** Most logins `GET /auth/sessions` lists (also the most a user keeps: MAX_SESSIONS_PER_USER, capped here). */
const LIST_LIMIT = 100;

/**
 * Logins of the service's own auth ("auth sessions"): register and login start one; its access
 * tokens carry its id (`sid`), its refresh tokens rotate within it (a token family); logout, DELETE,
 * a password change and a reused refresh token end it. Ending one deletes its row, which every
 * later authentication of its tokens sees (AuthSessionsRepository.principal), and ends its sockets.
 */
@Injectable()
export class AuthSessionsService {
  private readonly keep: number;

  constructor(
    private readonly repository: AuthSessionsRepository,
    private readonly tokens: TokenService,
    private readonly users: UsersService,
    private readonly realtime: RealtimeService,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    this.keep = Math.min(config.sessions.maxPerUser, LIST_LIMIT);
  }

  /** Starts a login for `user`: an access token of it and its first refresh token. */
  async start(user: User, userAgent: string | undefined): Promise<AuthResult> {
    const now = new Date();
    const id = uuidV7();
    const refresh = newRefreshToken();
    await this.repository.start(
      {
        id,
        user_id: user.id,
        created_at: now.toISOString(),
        last_seen_at: now.toISOString(),
        expires_at: this.refreshExpiry(now),
        user_agent: userAgent ? userAgent.slice(0, 256) : null,
      },
      refresh.hash,
      this.keep,
    );
    return this.result(user, id, refresh.token);
  }

  /**
   * `POST /auth/refresh`: a new access token and a new refresh token for the same login. A refresh
   * token used before ends the login (whoever holds the newer one, thief or owner, must log in again).
   */
  async refresh(refreshToken: string): Promise<AuthResult> {
    const hash = hashToken(refreshToken);
    const row = await this.repository.findToken(hash);
    const now = new Date();
    if (!row || row.expires_at <= now.toISOString()) throw AppError.of('REFRESH_INVALID');
    if (row.used_at !== null) {
      await this.end(row.user_id, [row.auth_session_id], 'revoked');
      throw AppError.of('REFRESH_REUSED');
    }
    const next = newRefreshToken();
    const rotated = await this.repository.rotate(
      hash,
      { hash: next.hash, authSessionId: row.auth_session_id, expiresAt: this.refreshExpiry(now) },
      now.toISOString(),
    );
    if (!rotated) {
      // Another use of this very token won the race: that is a reuse too.
      await this.end(row.user_id, [row.auth_session_id], 'revoked');
      throw AppError.of('REFRESH_REUSED');
    }
    const user = await this.users.findById(row.user_id);
    if (!user) throw AppError.of('REFRESH_INVALID');
    return this.result(user, row.auth_session_id, next.token);
  }

  /**
   * `POST /auth/logout`: this login, or every one. A token of no login (the identity provider's)
   * cannot be ended one by one: its logout refuses every such token of the user issued until now.
   */
  async logout(principal: Principal, allSessions: boolean): Promise<void> {
    const userId = principal.user.id;
    if (allSessions) {
      await this.users.refuseTokensIssuedBefore(userId, new Date());
      await this.repository.endAllBut(userId, undefined);
      await this.realtime.endConnections(rooms.user(userId), 'logout');
    } else if (principal.authSessionId) {
      await this.end(userId, [principal.authSessionId], 'logout');
    } else {
      await this.users.refuseTokensIssuedBefore(userId, new Date());
      await this.realtime.endConnections(rooms.providerTokens(userId), 'logout');
    }
  }

  /** `DELETE /auth/sessions/:sessionId`: NOT_FOUND unless it is a live login of this user. */
  async endOne(principal: Principal, sessionId: string): Promise<void> {
    const ended = await this.end(principal.user.id, [sessionId], 'revoked');
    if (ended.length === 0) throw AppError.of('SESSION_NOT_FOUND');
  }

  /** After a password change: every login but the caller's ends (and tokens of no login issued so far). */
  async passwordChanged(principal: Principal): Promise<void> {
    const userId = principal.user.id;
    if (principal.authSessionId) await this.users.refuseTokensIssuedBefore(userId, new Date());
    const ended = await this.repository.endAllBut(userId, principal.authSessionId);
    await this.realtime.endConnections([...ended.map((id) => rooms.authSession(id)), rooms.providerTokens(userId)], 'password_changed');
  }

  async list(principal: Principal): Promise<AuthSession[]> {
    const rows = await this.repository.list(principal.user.id, LIST_LIMIT);
    return rows.map((row) => ({
      sessionId: row.id,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      online: Boolean(row.online),
      ...(row.user_agent ? { userAgent: row.user_agent } : {}),
      current: row.id === principal.authSessionId,
    }));
  }

  private async end(userId: string, ids: string[], reason: SessionEndReason): Promise<string[]> {
    const ended = await this.repository.end(userId, ids);
    await this.realtime.endConnections(
      ended.map((id) => rooms.authSession(id)),
      reason,
    );
    return ended;
  }

  private result(user: User, authSessionId: string, refreshToken: string): AuthResult {
    return {
      user,
      accessToken: this.tokens.sign(user.id, authSessionId),
      tokenType: 'Bearer',
      expiresIn: this.tokens.expiresInSeconds,
      refreshToken,
      refreshExpiresIn: this.config.jwt.refreshExpiresInSeconds,
    };
  }

  private refreshExpiry(now: Date): string {
    return new Date(now.getTime() + this.config.jwt.refreshExpiresInSeconds * 1000).toISOString();
  }
}

/** 256 random bits; only its SHA-256 is stored (a slow hash buys nothing against 256 bits). */
function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
