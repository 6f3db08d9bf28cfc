import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { AppError } from '../../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../../config/config.module';
import { rooms } from '../rooms';
import type { AppSocket } from '../socket.types';
import { InjectConnectionStore, type ConnectionCounts, type ConnectionStore, type SocketEntry } from './connection-store';
import { CONNECTION_LISTENER, type ConnectionListenerMeta, type ConnectionPhase } from './on-connection.decorator';

/** A socket that went away, as the disconnect listeners see it. */
export interface DisconnectedSocket {
  socketId: string;
  userId: string;
  sessionId: string;
  /**
   * The socket belonged to an instance that died without a clean shutdown and was taken over by
   * this one: it has been gone for up to PRESENCE_TTL_MS already, so no further grace applies.
   */
  orphaned?: boolean;
}

/** Each phase passes its own socket shape (AppSocket, or DisconnectedSocket on disconnect). */
type Listener = (socket: never, counts: ConnectionCounts) => unknown;

/** A socket the handshake put in the registry: the counts of that add, and its early-close hook. */
interface Admission {
  counts: ConnectionCounts;
  onClose: () => void;
}

const REMOVAL_RETRY_MS = 1000;
/** After this many failed retries the instance reaper's crash path is the fallback (instance restart). */
const MAX_REMOVAL_ATTEMPTS = 300;

/**
 * The one owner of a socket's life on this instance: its place in the connection registry (taken
 * in the handshake, within MAX_CONNECTIONS_PER_USER), its user and session rooms, and the
 * listeners that capabilities declare with `@OnConnection` — run in `LISTENER_ORDER`, always
 * connect before disconnect for one socket.
 */
@Injectable()
export class ConnectionLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ConnectionLifecycle.name);
  private readonly listeners: Record<ConnectionPhase, { order: number; listener: Listener }[]> = {
    prepare: [],
    connect: [],
    disconnect: [],
  };
  /** Resolves to whether the socket made it into the registry (its disconnect waits for this). */
  private readonly registrations = new WeakMap<AppSocket, Promise<boolean>>();
  /** Sockets `admit` added to the registry that socket.io has not connected (yet). */
  private readonly admitted = new WeakMap<AppSocket, Admission>();
  private stopped = false;

  constructor(
    @InjectConnectionStore() private readonly connections: ConnectionStore,
    @InjectConfig() private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /**
   * Finds every `@OnConnection` method of the application's providers, once per instance: an
   * alias (`useExisting`, e.g. PRESENCE_QUERY for PresenceService) is another provider of the same
   * object, and must not make its listeners run twice per socket.
   */
  onModuleInit(): void {
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic() || seen.has(instance)) continue;
      seen.add(instance);
      for (const name of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
        const method = instance[name];
        if (typeof method !== 'function') continue;
        const meta = this.reflector.get<ConnectionListenerMeta | undefined>(CONNECTION_LISTENER, method);
        if (meta) this.listen(meta.phase, meta.order, (method as Listener).bind(instance));
      }
    }
  }

  /** Adds a listener at its place in the phase (what `@OnConnection` declares; tests call it directly). */
  listen(phase: ConnectionPhase, order: number, listener: Listener): void {
    const list = this.listeners[phase];
    list.push({ order, listener });
    list.sort((a, b) => a.order - b.order);
  }

  /**
   * The handshake's registry step (socket.io middleware, before the connection is accepted): adds
   * the socket if the user has fewer than MAX_CONNECTIONS_PER_USER open anywhere, atomically in
   * the store. Over the cap it throws FORBIDDEN with `details.limit`, and nothing is added. When
   * the registry cannot be reached, the transport is closed so the client retries by itself (a
   * `connect_error` would not be retried). Resolves false when it added nothing because the
   * client of a new session had left already (the guard then undoes its work: `abandoned`).
   */
  async admit(socket: AppSocket): Promise<boolean> {
    // The client left while the guard was at work: no entry (socket.io drops the socket at `next`),
    // which would hold one of the user's slots for the listeners' round trips of `abandon`. Only
    // for a new session: a resumed one may have sockets elsewhere, and its listeners must count it.
    if (socket.conn.readyState !== 'open' && !socket.data.resumed) return false;
    const maxPerUser = this.config.limits.connectionsPerUser;
    let counts: ConnectionCounts | null;
    try {
      counts = await this.connections.addWithin(entryOf(socket), maxPerUser);
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
    return true;
  }

  /**
   * socket.io connected the socket: its addressed rooms first (nothing meant for the user is
   * missed), the `prepare` listeners (the last of which announces `session`), then the `connect`
   * listeners with the registry's counts.
   */
  connect(socket: AppSocket): Promise<void> {
    const admission = this.admitted.get(socket);
    if (admission) {
      this.admitted.delete(socket);
      socket.conn.off('close', admission.onClose);
    }
    socket.on('disconnect', () => void this.disconnect(socket));
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
    void socket.join([rooms.user(user.id), rooms.session(sessionId)]);
    await this.run('prepare', socket);
    if (!socket.connected && !admitted) return false;
    // An admitted socket is in the registry already: its listeners run even when it is gone by
    // now (then its disconnect follows), so the one that counted as the user's first is announced.
    const counts = admitted ?? (await this.connections.add(entryOf(socket)));
    this.logger.debug({ socketId: socket.id, sessionId, userId: user.id, resumed: socket.data.resumed }, 'socket connected');
    await this.run('connect', socket, counts);
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
      this.run('connect', socket, admission.counts).then(() => true),
    );
    void this.disconnect(socket);
  }

  /** socket.io disconnected the socket: after its connect handling finished, so listeners always see connect then disconnect. */
  async disconnect(socket: AppSocket): Promise<void> {
    const registered = await this.registrations.get(socket);
    this.registrations.delete(socket);
    if (!registered) return;
    const entry = entryOf(socket);
    let counts: ConnectionCounts;
    try {
      counts = await this.connections.remove(entry);
    } catch (error) {
      // A stale entry would keep the user online forever: retry until the registry answers.
      this.logger.error({ err: error, socketId: socket.id }, 'could not unregister the connection; retrying');
      return this.retryRemoval(entry, 1);
    }
    this.logger.debug({ socketId: socket.id, sessionId: entry.sessionId, userId: entry.userId }, 'socket disconnected');
    await this.disconnected(entry, counts);
  }

  /** The disconnect listeners, for a socket of this instance or one taken over from a dead instance. */
  async disconnected(socket: DisconnectedSocket, counts: ConnectionCounts): Promise<void> {
    await this.run('disconnect', socket, counts);
  }

  private retryRemoval(entry: SocketEntry, attempt: number): void {
    if (this.stopped || attempt > MAX_REMOVAL_ATTEMPTS) return;
    const timer = setTimeout(() => {
      this.connections.remove(entry).then(
        (counts) => this.disconnected(entry, counts),
        () => this.retryRemoval(entry, attempt + 1),
      );
    }, REMOVAL_RETRY_MS);
    timer.unref();
  }

  private async run(phase: ConnectionPhase, socket: AppSocket | DisconnectedSocket, counts?: ConnectionCounts): Promise<void> {
    for (const { listener } of this.listeners[phase]) {
      try {
        await listener(socket as never, counts!);
      } catch (error) {
        const socketId = 'id' in socket ? socket.id : socket.socketId;
        this.logger.error({ err: error, socketId }, `${phase} listener failed`);
      }
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }
}

function entryOf(socket: AppSocket): SocketEntry {
  return { socketId: socket.id, userId: socket.data.user.id, sessionId: socket.data.sessionId };
}
