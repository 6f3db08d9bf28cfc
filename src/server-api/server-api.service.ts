import { Injectable } from '@nestjs/common';
import type { Message, ModalState, Presence, Room, User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { TokenService } from '../auth/token.service';
import { toRoom } from '../chat/chat.mapper';
import { MessagesService } from '../chat/messages.service';
import { RoomsRepository } from '../chat/rooms.repository';
import { RoomsService } from '../chat/rooms.service';
import { ModalsService } from '../modals/modals.service';
import { PresenceService } from '../presence/presence.service';
import { InjectConnectionStore, type ConnectionStore } from '../realtime/connections/connection-store';
import { RealtimeService } from '../realtime/realtime.service';
import { rooms } from '../realtime/rooms';
import { SYSTEM_USER, UsersService, type ProvisionedUser } from '../users/users.service';
import type { PublishDto } from './dto/publish.dto';
import type { ServerMessageDto } from './dto/server-message.dto';

/** Serialized size `data` of one publish may have (the whole body is bounded by MAX_PAYLOAD_BYTES too). */
export const PUBLISH_MAX_DATA_BYTES = 32_768;
/** Members read per step when counting a room's online members. */
const MEMBER_BATCH = 1000;

export interface RoomOccupancy {
  room: Room;
  onlineCount: number;
  memberCount: number;
}

/**
 * What the app's own backend may do (`/server/v1/*`). Everything goes through the services a
 * user's own actions use, so a server-sent message or a deletion looks exactly like one made on
 * a socket, on every instance.
 */
@Injectable()
export class ServerApiService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly messages: MessagesService,
    private readonly roomsService: RoomsService,
    private readonly roomsRepository: RoomsRepository,
    private readonly presence: PresenceService,
    private readonly modals: ModalsService,
    private readonly realtime: RealtimeService,
    @InjectConnectionStore() private readonly connections: ConnectionStore,
  ) {}

  /** One emit per call: to the users' rooms and the chat rooms, each socket once (socket.io dedupes rooms). */
  publish(input: PublishDto): { published: true } {
    const to = [...(input.users ?? []).map(rooms.user), ...(input.rooms ?? []).map(rooms.chatRoom)];
    if (to.length === 0) {
      const errors = ['give at least one of users or rooms'];
      throw AppError.invalid('Invalid payload: give at least one of users or rooms', [
        { field: 'users', errors },
        { field: 'rooms', errors },
      ]);
    }
    if (input.data === undefined) {
      throw AppError.invalid('Invalid payload: data is required (any JSON, null included)', [
        { field: 'data', errors: ['data is required'] },
      ]);
    }
    const size = Buffer.byteLength(JSON.stringify(input.data));
    if (size > PUBLISH_MAX_DATA_BYTES) {
      throw AppError.invalid(`Invalid payload: data must serialize to at most ${PUBLISH_MAX_DATA_BYTES} bytes`, [
        { field: 'data', errors: [`data must serialize to at most ${PUBLISH_MAX_DATA_BYTES} bytes (got ${size})`] },
      ]);
    }
    this.realtime.emit(to, 'app:event', { event: input.event, data: input.data, publishedAt: new Date().toISOString() });
    return { published: true };
  }

  /** A message from `from` (a user, with that user's rights) or from the system user (any existing room). */
  async sendMessage(input: ServerMessageDto): Promise<Message> {
    const { from, ...send } = input;
    const asSystem = from === undefined || from === SYSTEM_USER.id;
    const sender = asSystem ? await this.users.systemUser() : await this.requireUser(from);
    // Sends of one author to one conversation are stored in arrival order, like one socket's;
    // different conversations (the system user writes to many) proceed in parallel.
    return this.messages.send(sender, `server:${sender.id}:${send.to ?? ''}:${send.roomId ?? ''}`, send, { asSystem });
  }

  provision(input: ProvisionedUser): Promise<User> {
    return this.users.provision(input);
  }

  /**
   * Deletes the user: from the commit on, their tokens resolve to no user on every instance; then
   * their sockets everywhere get `session:expired { reason: "deleted" }` and are disconnected, and
   * they leave every room (ownership passes on as for a `room:leave`). Presence forgets them when
   * the grace period of their last socket ends; their messages stay, authored by `[deleted]`.
   */
  async deleteUser(id: string): Promise<void> {
    const user = await this.requireUser(id);
    if (user.id === SYSTEM_USER.id || !(await this.users.markDeleted(id))) throw AppError.of('USER_NOT_FOUND');
    await this.realtime.disconnect(rooms.user(id), { notice: { reason: 'deleted' } });
    await this.roomsService.leaveEvery(
      user,
      (await this.roomsRepository.listJoined(id)).map((room) => room.id),
    );
  }

  async disconnect(userId: string, sessionId?: string): Promise<{ disconnected: number }> {
    await this.requireUser(userId);
    const of = sessionId === undefined ? rooms.user(userId) : rooms.session(sessionId);
    return { disconnected: await this.realtime.disconnect(of, { userId }) };
  }

  async mintToken(userId: string, expiresIn?: number): Promise<{ accessToken: string; expiresIn: number }> {
    await this.requireUser(userId);
    const seconds = expiresIn ?? this.tokens.expiresInSeconds;
    return { accessToken: this.tokens.sign(userId, undefined, seconds), expiresIn: seconds };
  }

  /** The user's true presence (as they see it themselves: `invisible` included). */
  async presenceOf(userId: string): Promise<Presence> {
    const user = await this.requireUser(userId);
    return (await this.presence.presenceOf([user], user.id)).get(user.id)!;
  }

  /** Costs one read of the member list (in batches), whatever the room's size; nothing is kept. */
  async room(roomId: string): Promise<RoomOccupancy> {
    const row = await this.roomsRepository.findById(roomId);
    if (!row) throw AppError.of('ROOM_NOT_FOUND');
    let onlineCount = 0;
    let after: { joinedAt: string; userId: string } | undefined;
    for (;;) {
      const page = await this.roomsRepository.memberPage(roomId, after, MEMBER_BATCH);
      const counts = await this.connections.countByUser(page.items.map((m) => m.user_id));
      for (const open of counts.values()) if (open > 0) onlineCount += 1;
      const last = page.items.at(-1);
      if (!page.hasMore || !last) break;
      after = { joinedAt: last.joined_at, userId: last.user_id };
    }
    const room = toRoom(row);
    return { room, onlineCount, memberCount: room.memberCount };
  }

  modal(modalId: string): Promise<ModalState> {
    return this.modals.describe(modalId);
  }

  private async requireUser(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw AppError.of('USER_NOT_FOUND');
    return user;
  }
}
