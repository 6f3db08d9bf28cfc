import { Injectable } from '@nestjs/common';
import { rooms } from '../realtime/rooms';
import type { AppSocket } from '../realtime/socket.types';
import { LISTENER_ORDER } from '../realtime/connections/listener-order';
import { OnConnection } from '../realtime/connections/on-connection.decorator';
import { RoomsRepository } from './rooms.repository';

/**
 * Puts every new socket into the socket.io rooms of its user's chat rooms, so each tab
 * receives room messages without a join step of its own.
 */
@Injectable()
export class ChatSubscriptions {
  constructor(private readonly rooms: RoomsRepository) {}

  /**
   * Before `session`, so a tab never misses a room message sent right after it connected. At most
   * 2 × MAX_ROOMS_PER_USER rooms: others can add a user to only their own allowance of rooms.
   */
  @OnConnection('prepare', LISTENER_ORDER.prepare.chatRooms)
  async joinRooms(socket: AppSocket): Promise<void> {
    const roomIds = await this.rooms.roomIdsOf(socket.data.user.id);
    if (roomIds.length && socket.connected) await socket.join(roomIds.map(rooms.chatRoom));
  }
}
