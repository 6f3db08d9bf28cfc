import { Injectable, type OnModuleInit } from '@nestjs/common';
import { rooms } from '../realtime/rooms';
import type { AppSocket } from '../realtime/socket.types';
import { ConnectionLifecycle, type ConnectionListener } from '../realtime/connections/connection-lifecycle';
import { RoomsRepository } from './rooms.repository';

/**
 * Puts every new socket into the socket.io rooms of its user's chat rooms, so each tab
 * receives room messages without a join step of its own.
 */
@Injectable()
export class ChatSubscriptions implements ConnectionListener, OnModuleInit {
  constructor(
    private readonly lifecycle: ConnectionLifecycle,
    private readonly rooms: RoomsRepository,
  ) {}

  onModuleInit(): void {
    this.lifecycle.register(this);
  }

  /**
   * Before `session`, so a tab never misses a room message sent right after it connected. At most
   * 2 × MAX_ROOMS_PER_USER rooms: others can add a user to only their own allowance of rooms.
   */
  async beforeSession(socket: AppSocket): Promise<void> {
    const roomIds = await this.rooms.roomIdsOf(socket.data.user.id);
    if (roomIds.length && socket.connected) await socket.join(roomIds.map(rooms.chatRoom));
  }
}
