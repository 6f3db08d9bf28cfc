import { Inject } from '@nestjs/common';
import type { AppSocket } from '../realtime/socket.types';
import { presenceRooms } from './presence-rooms';

/** What a socket asks to watch: named users and/or everybody. */
export interface PresenceTarget {
  userIds: readonly string[];
  all: boolean;
}

/**
 * Which sockets receive whose `presence:update`. Updates are emitted to the rooms named in
 * `presence-rooms.ts`, so an implementation must keep a subscribed socket in those rooms.
 */
export interface PresenceSubscriptions {
  /** Subscribes the socket; returns how many presence subscriptions it now holds. */
  add(socket: AppSocket, target: PresenceTarget): Promise<number>;
  /** How many presence subscriptions the socket would hold after `add(socket, target)`. */
  countAfter(socket: AppSocket, target: PresenceTarget): number;
  /** `all: true` drops every presence subscription of the socket, named users included. */
  remove(socket: AppSocket, target: PresenceTarget): Promise<void>;
}

export const PRESENCE_SUBSCRIPTIONS = Symbol('PRESENCE_SUBSCRIPTIONS');
export const InjectPresenceSubscriptions = () => Inject(PRESENCE_SUBSCRIPTIONS);

/**
 * Subscriptions are the socket's own socket.io room memberships: no second copy to keep in step,
 * gone with the socket, and with the socket.io Redis adapter an emit to a room reaches its
 * members on every instance, so this implementation also serves several instances. The socket
 * is always local to the instance handling its event, hence a plain `socket.join`.
 */
export class SocketRoomPresenceSubscriptions implements PresenceSubscriptions {
  async add(socket: AppSocket, target: PresenceTarget): Promise<number> {
    const wanted = target.userIds.map(presenceRooms.user);
    if (target.all) wanted.push(presenceRooms.all);
    if (wanted.length) await socket.join(wanted);
    return countPresenceRooms(socket);
  }

  countAfter(socket: AppSocket, target: PresenceTarget): number {
    const wanted = new Set(target.userIds.map(presenceRooms.user));
    if (target.all) wanted.add(presenceRooms.all);
    let adding = 0;
    for (const room of wanted) if (!socket.rooms.has(room)) adding += 1;
    return countPresenceRooms(socket) + adding;
  }

  async remove(socket: AppSocket, target: PresenceTarget): Promise<void> {
    const leaving = target.all ? [...socket.rooms].filter(presenceRooms.isPresenceRoom) : target.userIds.map(presenceRooms.user);
    for (const room of leaving) await socket.leave(room);
  }
}

function countPresenceRooms(socket: AppSocket): number {
  let count = 0;
  for (const room of socket.rooms) if (presenceRooms.isPresenceRoom(room)) count += 1;
  return count;
}
