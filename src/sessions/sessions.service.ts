import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { SessionEvent, SessionRefreshResult } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { rooms } from '../realtime/rooms';
import type { AppSocket } from '../realtime/socket.types';
import { TokenService } from '../auth/token.service';
import { uuidV7 } from '../storage/uuid-v7';
import { ConnectionLifecycle } from '../realtime/connections/connection-lifecycle';
import {
  InjectConnectionStore,
  type ConnectionCounts,
  type ConnectionStore,
  type SocketEntry,
} from '../realtime/connections/connection-store';
import { SessionsRepository } from './sessions.repository';

const MAX_TIMER_MS = 2 ** 31 - 1;
const REMOVAL_RETRY_MS = 1000;
/** After this many failed retries the instance reaper's crash path is the fallback (instance restart). */
const MAX_REMOVAL_ATTEMPTS = 300;

/** A socket the handshake put in the registry: the counts of that add, and its early-close hook. */
interface Admission {
  counts: ConnectionCounts;
  onClose: () => void;
}

/**
 * Sessions name a tab/device across reconnects. They are persisted, so `auth.sessionId`
 * resumes one even after a server restart; a session is only ever resumed by its own user.
 */
@Injectable()
export class SessionsService implements OnApplicationShutdown {
  private readonly logger = new Logger(SessionsService.name);
  private stopped = false;
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  /** Resolves to whether the socket made it into the registry. */
  private readonly registrations = new WeakMap<AppSocket, Promise<boolean>>();
  /** Sockets `admit` added to the registry that socket.io has not connected (yet). */
  private readonly admitted = new WeakMap<AppSocket, Admission>();

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly tokens: TokenService,
    private readonly lifecycle: ConnectionLifecycle,
    @InjectConnectionStore() private readonly connections: ConnectionStore,
  ) {}

  /**
   * The session to use for this handshake: the requested one if it is this user's and was used
   * within SESSION_TTL_DAYS, else a new one (which may prune the user's least recently used).
   */
  async resolve(userId: string, requested?: string): Promise<{ sessionId: string; resumed: boolean }> {
    const at = new Date();
    const now = at.toISOString();
    if (requested && requested.length <= 64) {
      const row = await this.sessions.findResumable(requested, at);
      if (row && row.user_id === userId) {
        await this.sessions.touch(row.id, now, true);
        return { sessionId: row.id, resumed: true };
      }
    }
    const sessionId = uuidV7();
    await this.sessions.insert({ id: sessionId, user_id: userId, created_at: now, last_seen_at: now, connected: 1 });
    return { sessionId, resumed: false };
  }

  /** Records the session's last use when its last socket went (group-committed, like the handshake's writes). */
  async touch(sessionId: string): Promise<void> {
    await this.sessions.touch(sessionId, new Date().toISOString(), false);
  }

  /**
   * The handshake's registry step (socket.io middleware, before the connection is accepted): adds
   * the socket if the user has fewer than `maxPerUser` open anywhere, atomically in the store.
   * Over the cap it throws FORBIDDEN with `details.limit`, and nothing is added. When the registry
   * cannot be reached, the transport is closed so the client retries by itself (a `connect_error`
   * would not be retried).
   */
  async admit(socket: AppSocket, maxPerUser: number): Promise<void> {
    const { user, sessionId } = socket.data;
    let counts: ConnectionCounts | null;
    try {
      counts = await this.connections.addWithin({ socketId: socket.id, userId: user.id, sessionId }, maxPerUser);
    } catch (error) {
      this.logger.error({ err: error, socketId: socket.id }, 'could not register the connection; closing it');
      socket.conn.close();
      throw error;
    }
    if (!counts) throw AppError.limitReached('open connections per user', maxPerUser);
    // socket.io drops a socket whose client left before the middleware finished, without a
    // connect or disconnect event; its registry entry must go anyway (see `abandon`).
    const admission: Admission = { counts, onClose: () => this.abandon(socket) };
    this.admitted.set(socket, admission);
    if (socket.conn.readyState !== 'open') this.abandon(socket);
    else socket.conn.once('close', admission.onClose);
  }

  /**
   * Called for every authenticated socket: its rooms (including those listeners add before
   * `session`, so nothing addressed to the user is missed once `session` arrived), the `session`
   * event, the registry (unless `admit` did it), then the connect listeners.
   */
  connect(socket: AppSocket): Promise<void> {
    const admission = this.admitted.get(socket);
    if (admission) {
      this.admitted.delete(socket);
      socket.conn.off('close', admission.onClose);
    }
    const registration = this.register(socket, admission?.counts).catch((error: unknown) => {
      // The registry (Redis) is unreachable: a connection presence and modals cannot see must not
      // linger. Closing the transport (not a server disconnect) makes the client retry by itself.
      this.logger.error({ err: error, socketId: socket.id }, 'could not register the connection; closing it');
      socket.conn.close();
      return false;
    });
    this.registrations.set(socket, registration);
    return registration.then(() => undefined);
  }

  private async register(socket: AppSocket, admitted?: ConnectionCounts): Promise<boolean> {
    const { user, sessionId } = socket.data;
    // Addressed rooms first, so nothing meant for this user is missed; the broadcast room only
    // with `session`, so broadcasts (modal:opened…) never precede it.
    void socket.join([rooms.user(user.id), rooms.session(sessionId)]);
    await this.lifecycle.preparing(socket);
    if (socket.connected) {
      void socket.join(rooms.everyone);
      socket.emit('session', { sessionId, user } satisfies SessionEvent);
      this.scheduleExpiry(socket);
    } else if (!admitted) {
      return false;
    }
    // An admitted socket is in the registry already: its listeners run even when it is gone by
    // now (then its disconnect follows), so the one that counted as the user's first is announced.
    const counts = admitted ?? (await this.connections.add({ socketId: socket.id, userId: user.id, sessionId }));
    this.logger.debug({ socketId: socket.id, sessionId, userId: user.id, resumed: socket.data.resumed }, 'socket connected');
    await this.lifecycle.connected(socket, counts);
    return true;
  }

  /** An admitted socket that socket.io never connected: connect listeners, then the disconnect path. */
  private abandon(socket: AppSocket): void {
    const admission = this.admitted.get(socket);
    if (!admission) return;
    this.admitted.delete(socket);
    socket.conn.off('close', admission.onClose);
    this.registrations.set(
      socket,
      this.lifecycle.connected(socket, admission.counts).then(() => true),
    );
    void this.disconnect(socket);
  }

  /** Runs after the socket's connect handling finished, so listeners always see connect then disconnect. */
  async disconnect(socket: AppSocket): Promise<void> {
    this.clearExpiry(socket.id);
    const registered = await this.registrations.get(socket);
    this.registrations.delete(socket);
    this.clearExpiry(socket.id);
    if (!registered) return;
    const { user, sessionId } = socket.data;
    const entry = { socketId: socket.id, userId: user.id, sessionId };
    let counts: ConnectionCounts;
    try {
      counts = await this.connections.remove(entry);
    } catch (error) {
      // A stale entry would keep the user online forever: retry until the registry answers.
      this.logger.error({ err: error, socketId: socket.id }, 'could not unregister the connection; retrying');
      return this.retryRemoval(entry, socket, 1);
    }
    this.logger.debug({ socketId: socket.id, sessionId, userId: user.id }, 'socket disconnected');
    await this.lifecycle.disconnected({ socketId: socket.id, user, sessionId }, counts);
  }

  private retryRemoval(entry: SocketEntry, socket: AppSocket, attempt: number): void {
    if (this.stopped || attempt > MAX_REMOVAL_ATTEMPTS) return;
    const timer = setTimeout(() => {
      this.connections.remove(entry).then(
        (counts) => this.lifecycle.disconnected({ socketId: entry.socketId, user: socket.data.user, sessionId: entry.sessionId }, counts),
        () => this.retryRemoval(entry, socket, attempt + 1),
      );
    }, REMOVAL_RETRY_MS);
    timer.unref();
  }

  /** `session:refresh`: a fresh token for the same user moves this connection's expiry. */
  refresh(socket: AppSocket, token: string): SessionRefreshResult {
    const verified = this.tokens.verify(token);
    if (verified.userId !== socket.data.user.id) throw AppError.forbidden('The token belongs to another user');
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
    this.stopped = true;
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
  }
}
