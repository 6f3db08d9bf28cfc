import { Injectable } from '@nestjs/common';
import { AccessService } from '../access/access.service';
import { rooms } from '../realtime/rooms';
import type { AppSocket } from '../realtime/socket.types';
import { LISTENER_ORDER } from '../realtime/connections/listener-order';
import { OnConnection } from '../realtime/connections/on-connection.decorator';
import { RoomsRepository } from './rooms.repository';

/**
 * Puts every new socket into the socket.io rooms of its user's chat rooms, so each tab
 * receives room messages without a join step of its own (and notes the user's block list, read
 * with the rooms, for the connect listeners).
 */
@Injectable()
export class ChatSubscriptions {
  constructor(
    private readonly rooms: RoomsRepository,
    private readonly access: AccessService,
  ) {}

  /**
   * Before `session`, so a tab never misses a room message sent right after it connected. At most
   * 2 × MAX_ROOMS_PER_USER rooms: others can add a user to only their own allowance of rooms.
   *
   * The read and the join happen under the user's lock, which every membership change of that
   * user also holds while it moves the user's sockets (RoomsRepository.MembershipChange): a
   * `room:leave` or kick racing this connect either commits first (the read no longer sees the
   * room) or finds this socket already in the room (its leave, sent to the user's sockets on
   * every instance, removes it). The socket is in its user room since before `prepare`.
   */
  @OnConnection('prepare', LISTENER_ORDER.prepare.chatRooms)
  async joinRooms(socket: AppSocket): Promise<void> {
    await this.rooms.joinOwnRooms(socket.data.user.id, ({ roomIds, blockedIds }) => {
      // socket.join applies locally at once (both adapters): done before the lock is released.
      if (roomIds.length && socket.connected) void socket.join(roomIds.map(rooms.chatRoom));
      // Read in the same round trip; presence's coming-online broadcast uses it (PresenceService.connected).
      this.access.noteBlockedAtConnect(socket, blockedIds);
    });
  }
}
