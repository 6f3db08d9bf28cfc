import { Injectable } from '@nestjs/common';
import type { ServerEventMap, ServerEventName, SessionEndReason, SocketData } from '../contracts';
import { IoServer } from './io-server';
import type { AppServer } from './socket.types';

/**
 * The one place that emits to clients. Services address rooms (see `rooms.ts`), never sockets
 * or the `Server` directly, so the same calls reach every instance once the Redis adapter is on.
 */
@Injectable()
export class RealtimeService {
  constructor(private readonly server: IoServer) {}

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
   */
  endConnections(of: string | string[], reason: SessionEndReason, except?: string): void {
    this.emit(of, 'session:expired', { reason }, except);
    const target = except ? this.io.in(of).except(except) : this.io.in(of);
    target.disconnectSockets(true);
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

  /** Makes every socket in room `of` join `roomsToJoin` (on every instance). */
  join(of: string, roomsToJoin: string | string[]): void {
    // With the Redis adapter a cluster-wide join only takes effect after a Redis round trip, even
    // for this instance's sockets; an emit right after it would miss them. So this instance joins
    // at once, and the cluster-wide request (published before any later emit, so other instances
    // apply it in order) covers the rest.
    this.io.local.in(of).socketsJoin(roomsToJoin);
    this.io.in(of).socketsJoin(roomsToJoin);
  }

  /** Makes every socket in room `of` leave `roomsToLeave` (on every instance). */
  leave(of: string, roomsToLeave: string | string[]): void {
    // As in join: this instance at once, every instance in order with later emits.
    this.io.local.in(of).socketsLeave(roomsToLeave);
    this.io.in(of).socketsLeave(roomsToLeave);
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
