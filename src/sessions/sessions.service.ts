import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { SessionEvent, SessionRefreshResult } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { rooms } from '../realtime/rooms';
import type { AppSocket } from '../realtime/socket.types';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { uuidV7 } from '../storage/uuid-v7';
import { LISTENER_ORDER } from '../realtime/connections/listener-order';
import { OnConnection } from '../realtime/connections/on-connection.decorator';
import { SessionsRepository } from './sessions.repository';

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Sessions name a tab/device across reconnects. They are persisted, so `auth.sessionId`
 * resumes one even after a server restart; a session is only ever resumed by its own user.
 */
@Injectable()
export class SessionsService implements OnApplicationShutdown {
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly guard: BearerAuthGuard,
  ) {}

  /**
   * The session to use for this handshake: the requested one if it is this user's and was used
   * within SESSION_TTL_DAYS, else a new one (which may prune the user's least recently used).
   */
  async resolve(userId: string, requested?: string, authSessionId?: string): Promise<{ sessionId: string; resumed: boolean }> {
    const at = new Date();
    const now = at.toISOString();
    // Another user's session, an unknown or an expired one: a new session instead.
    if (requested && requested.length <= 64 && (await this.sessions.resume(requested, userId, at, authSessionId ?? null))) {
      return { sessionId: requested, resumed: true };
    }
    const sessionId = uuidV7();
    await this.sessions.insert({
      id: sessionId,
      user_id: userId,
      created_at: now,
      last_seen_at: now,
      connected: 1,
      auth_session_id: authSessionId ?? null,
    });
    return { sessionId, resumed: false };
  }

  /** Records the session's last use when its last socket went (written together with others going at once). */
  left(sessionId: string): Promise<void> {
    return this.sessions.left(sessionId);
  }

  /**
   * The last `prepare` step of a connection: the broadcast room, then `session` (so broadcasts
   * never precede it), and the timer that ends the connection with its token.
   */
  @OnConnection('prepare', LISTENER_ORDER.prepare.announceSession)
  announce(socket: AppSocket): void {
    if (!socket.connected) return;
    const { sessionId, user, authSessionId, tokenExpiresAt } = socket.data;
    // The room that logout, DELETE /auth/sessions and a password change end.
    void socket.join([rooms.everyone, authSessionId ? rooms.authSession(authSessionId) : rooms.providerTokens(user.id)]);
    socket.emit('session', { sessionId, user, expiresAt: new Date(tokenExpiresAt).toISOString() } satisfies SessionEvent);
    this.scheduleExpiry(socket);
    socket.on('disconnect', () => this.clearExpiry(socket.id));
  }

  /**
   * `session:refresh`: a fresh token for the same user (judged like any token: an ended session's
   * is refused) moves this connection's expiry, and binds it to the token's login.
   */
  async refresh(socket: AppSocket, token: string): Promise<SessionRefreshResult> {
    const principal = await this.guard.authenticate(token);
    if (principal.user.id !== socket.data.user.id) throw AppError.of('NOT_YOUR_TOKEN');
    const before = socket.data.authSessionId;
    if (before !== principal.authSessionId) {
      void socket.leave(before ? rooms.authSession(before) : rooms.providerTokens(principal.user.id));
      void socket.join(principal.authSessionId ? rooms.authSession(principal.authSessionId) : rooms.providerTokens(principal.user.id));
      socket.data.authSessionId = principal.authSessionId;
    }
    const verified = principal;
    socket.data.tokenExpiresAt = verified.expiresAt;
    this.scheduleExpiry(socket);
    return { expiresAt: new Date(verified.expiresAt).toISOString() };
  }

  private scheduleExpiry(socket: AppSocket): void {
    this.clearExpiry(socket.id);
    const delay = Math.min(Math.max(socket.data.tokenExpiresAt - Date.now(), 0), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.expiryTimers.delete(socket.id);
      if (socket.data.tokenExpiresAt > Date.now()) return this.scheduleExpiry(socket);
      socket.emit('session:expired', { reason: 'token_expired' });
      socket.disconnect(true);
    }, delay);
    timer.unref();
    this.expiryTimers.set(socket.id, timer);
  }

  private clearExpiry(socketId: string): void {
    const timer = this.expiryTimers.get(socketId);
    if (timer) clearTimeout(timer);
    this.expiryTimers.delete(socketId);
  }

  onApplicationShutdown(): void {
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
  }
}
