import { Injectable, Logger } from '@nestjs/common';
import type { ServerEventMap, ServerEventName, SessionEndReason, SocketData } from '../contracts';
import { withTimeout } from '../common/with-timeout';
import { InjectRedis, type RedisConnections } from '../redis/redis.providers';
import { IoServer } from './io-server';
import type { AppServer } from './socket.types';

/** How long `othersCaughtUp` waits for the other instances (a healthy one answers in a Redis round trip). */
export const CONFIRM_TIMEOUT_MS = 2000;

/**
 * The one place that emits to clients. Services address rooms (see `rooms.ts`), never sockets
 * or the `Server` directly, so the same calls reach every instance once the Redis adapter is on.
 */
@Injectable()
export class RealtimeService {
  private readonly logger = new Logger(RealtimeService.name);

  /** `redis`: other instances share the rooms (the Redis adapter), so moves are told to them too. */
  constructor(
    private readonly server: IoServer,
    @InjectRedis() private readonly redis: RedisConnections | null = null,
  ) {}

  private get io(): AppServer {
    return this.server.get();
  }

  /** Emits `event` to every socket in `to`, minus the sockets or rooms in `except`. */
  emit<E extends ServerEventName>(to: string | string[], event: E, payload: ServerEventMap[E], except?: string | string[]): void {
    let target = this.io.to(to);
    if (except !== undefined && except.length) target = target.except(except);
    // The typed emit needs a tuple spread; the map guarantees the payload shape.
    (target.emit as (event: string, payload: unknown) => boolean)(event, payload);
  }

  /**
   * Ends every socket in `of` (minus `except`), on every instance: `session:expired { reason }`,
   * then a disconnect. Both go through the adapter in that order, so the event arrives first.
   * Resolves once every instance has disconnected them (`othersCaughtUp`): whatever is emitted
   * after that, anywhere, misses them.
   */
  async endConnections(of: string | string[], reason: SessionEndReason, except?: string): Promise<void> {
    if (of.length === 0) return;
    this.emit(of, 'session:expired', { reason }, except);
    const target = except ? this.io.in(of).except(except) : this.io.in(of);
    target.disconnectSockets(true);
    await this.othersCaughtUp();
  }

  /**
   * Emits `event` to the sockets of room `of` that are also in one of `alsoIn`, on every instance.
   * It asks every instance for the sockets of `of`: meant for one user's few sockets (`of` a user room).
   */
  async emitWhereAlso<E extends ServerEventName>(
    of: string,
    alsoIn: readonly string[],
    event: E,
    payload: ServerEventMap[E],
  ): Promise<void> {
    const sockets = await this.io.in(of).fetchSockets();
    const ids = sockets.filter((socket) => alsoIn.some((room) => socket.rooms.has(room))).map((socket) => socket.id);
    if (ids.length) this.emit(ids, event, payload);
  }

  /**
   * Makes every socket in room `of` join `roomsToJoin`, on every instance. This instance's
   * sockets join at once; the others are told through the adapter, published before any later
   * emit of this instance, so every instance applies the join before that emit.
   */
  join(of: string, roomsToJoin: string | string[]): void {
    this.io.local.in(of).socketsJoin(roomsToJoin);
    if (this.redis) this.io.serverSideEmit('sockets:join', of, roomsToJoin);
  }

  /** Makes every socket in room `of` leave `roomsToLeave`, on every instance (as in `join`; see `othersCaughtUp`). */
  leave(of: string, roomsToLeave: string | string[]): void {
    this.io.local.in(of).socketsLeave(roomsToLeave);
    if (this.redis) this.io.serverSideEmit('sockets:leave', of, roomsToLeave);
  }

  /**
   * Resolves once every other instance has applied what this one published before the call
   * (moves and emits): the adapter delivers one instance's publications in order, so an answer
   * to this later request means the earlier ones are done. After a leave, an emit from any
   * instance then misses the sockets that left; without the wait, an instance that had not yet
   * read the leave from Redis would deliver its own local emit to them.
   *
   * Bounded: with Redis unreachable it resolves at once (no instance can hear this one, nor later
   * emits of it), and after CONFIRM_TIMEOUT_MS when an instance does not answer (hung), logged.
   */
  async othersCaughtUp(): Promise<void> {
    if (!this.redis || this.redis.client.status !== 'ready') return;
    try {
      await withTimeout(this.io.serverSideEmitWithAck('sockets:caught-up'), CONFIRM_TIMEOUT_MS);
    } catch (error) {
      this.logger.warn(`not every instance confirmed it caught up (${(error as Error).message})`);
    }
  }

  /**
   * Disconnects the sockets in room `of` on every instance (only those of `userId` when given),
   * after telling them `notice` as `session:expired`; resolves with how many there were.
   */
  async disconnect(of: string, options: { userId?: string; notice?: ServerEventMap['session:expired'] } = {}): Promise<number> {
    const sockets = (await this.io.in(of).fetchSockets()).filter((s) => options.userId === undefined || s.data.user?.id === options.userId);
    for (const socket of sockets) {
      if (options.notice) socket.emit('session:expired', options.notice);
      socket.disconnect(true);
    }
    return sockets.length;
  }

  /** Sockets connected to this instance (not the whole deployment). */
  localConnectionCount(): number {
    return this.server.peek()?.engine.clientsCount ?? 0;
  }

  /** Ids of the users with a socket on this instance (read-only; presence writes their last seen). */
  localUserIds(): Set<string> {
    const ids = new Set<string>();
    for (const socket of this.server.peek()?.sockets.sockets.values() ?? []) {
      const id = (socket.data as Partial<SocketData>).user?.id;
      if (id) ids.add(id);
    }
    return ids;
  }
}
