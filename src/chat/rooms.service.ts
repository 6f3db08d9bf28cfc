import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FieldError, Room, RoomJoinResult, RoomMember, RoomVisibility, User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { rooms } from '../common/ws/rooms';
import { RealtimeService } from '../common/ws/realtime.service';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { InjectPresenceQuery, type PresenceQuery } from '../presence/presence-query';
import { UsersService } from '../users/users.service';
import { toRoom } from './chat.mapper';
import { RoomsRepository, type RoomRow } from './rooms.repository';

/** `room:list` with scope "public" returns at most this many rooms (by name). */
export const PUBLIC_ROOM_LIST_LIMIT = 500;

export interface CreateRoomInput {
  name: string;
  visibility?: RoomVisibility;
  members?: string[];
}

/**
 * Rooms and their membership. Members' sockets are kept in the socket.io room
 * `room:<id>` (on connect by ChatSubscriptions, on join/leave here), so a room message is
 * one emit to that room, whatever the number of members or tabs.
 */
@Injectable()
export class RoomsService {
  constructor(
    private readonly rooms: RoomsRepository,
    private readonly users: UsersService,
    private readonly realtime: RealtimeService,
    @InjectPresenceQuery() private readonly presence: PresenceQuery,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Creates a room owned by the caller; `members` become members at once and get `room:invited`. */
  async create(owner: User, input: CreateRoomInput): Promise<Room> {
    const name = input.name.trim();
    if (!name) {
      const details: FieldError[] = [{ field: 'name', errors: ['name must not be blank'] }];
      throw AppError.badRequest('Invalid payload: name must not be blank', details);
    }
    await this.requireRoomBelowCap(owner.id);
    const memberIds = [...new Set(input.members ?? [])].filter((id) => id !== owner.id);
    const found = await this.users.findByIds(memberIds);
    if (found.length !== memberIds.length) {
      const known = new Set(found.map((u) => u.id));
      throw new AppError('NOT_FOUND', 'Some members do not exist', { userIds: memberIds.filter((id) => !known.has(id)) });
    }
    const id = randomUUID();
    await this.rooms.create(
      { id, name, visibility: input.visibility ?? 'public', owner_id: owner.id, created_at: new Date().toISOString() },
      memberIds,
    );
    const room = toRoom(await this.getRow(id));
    for (const userId of [owner.id, ...memberIds]) this.realtime.join(rooms.user(userId), rooms.chatRoom(id));
    if (memberIds.length) this.realtime.emit(memberIds.map(rooms.user), 'room:invited', { room, by: owner });
    return room;
  }

  /** MAX_ROOMS_PER_USER counts the rooms a user is in; it limits creating and joining (not being added). */
  private async requireRoomBelowCap(userId: string): Promise<void> {
    const limit = this.config.limits.roomsPerUser;
    if ((await this.rooms.roomIdsOf(userId)).length >= limit) throw AppError.limitReached('rooms per user', limit);
  }

  async list(user: User, scope: 'joined' | 'public' = 'joined'): Promise<Room[]> {
    const rows = scope === 'public' ? await this.rooms.listPublic(PUBLIC_ROOM_LIST_LIMIT) : await this.rooms.listJoined(user.id);
    return rows.map(toRoom);
  }

  /**
   * Joins a room: public rooms are open to anyone, private ones to members and invitees.
   * Joining again is harmless (no event). Every socket of the user starts receiving the room.
   */
  async join(user: User, socketId: string, roomId: string): Promise<RoomJoinResult> {
    const before = await this.getRow(roomId);
    const role = await this.rooms.memberRole(roomId, user.id);
    if (!role && before.visibility === 'private' && !(await this.rooms.hasInvite(roomId, user.id))) {
      throw AppError.forbidden('This room is private: only members and invited users may join');
    }
    if (!role) await this.requireRoomBelowCap(user.id);
    if (!role && (await this.rooms.addMember(roomId, user.id, new Date().toISOString()))) {
      this.realtime.join(rooms.user(user.id), rooms.chatRoom(roomId));
      this.realtime.emit(rooms.chatRoom(roomId), 'room:member-joined', { roomId, user }, socketId);
    }
    const [row, memberRows] = await Promise.all([this.getRow(roomId), this.rooms.members(roomId)]);
    const memberUsers: User[] = memberRows.map((m) => ({
      id: m.user_id,
      username: m.username,
      displayName: m.display_name,
      createdAt: m.user_created_at,
    }));
    const presence = await this.presence.presenceOf(memberUsers, user.id);
    const members = memberRows.map((m): RoomMember => {
      const status = presence.get(m.user_id)?.status ?? 'offline';
      return { userId: m.user_id, username: m.username, role: m.role, online: status !== 'offline', status };
    });
    return { room: toRoom(row), members };
  }

  /** Any member may invite an existing user; the invitee is told with `room:invited`. */
  async invite(inviter: User, roomId: string, userId: string): Promise<{ roomId: string; userId: string }> {
    const row = await this.getRow(roomId);
    if (!(await this.rooms.memberRole(roomId, inviter.id))) throw AppError.forbidden('Only members may invite to this room');
    if (!(await this.users.findById(userId))) throw AppError.notFound('User not found');
    if (await this.rooms.memberRole(roomId, userId)) return { roomId, userId };
    await this.rooms.addInvite(roomId, userId, inviter.id, new Date().toISOString());
    this.realtime.emit(rooms.user(userId), 'room:invited', { room: toRoom(row), by: inviter });
    return { roomId, userId };
  }

  /**
   * Leaves a room: none of the user's sockets receive it any more. An owner's leaving passes
   * ownership to the longest-standing member (`ownerId` in `room:member-left`); the last
   * member's leaving keeps the room, empty, and the next to join it becomes its owner.
   */
  async leave(user: User, socketId: string, roomId: string): Promise<{ roomId: string }> {
    await this.getRow(roomId);
    const { removed, newOwnerId } = await this.rooms.removeMember(roomId, user.id);
    if (!removed) throw AppError.forbidden('You are not a member of this room');
    this.realtime.leave(rooms.user(user.id), rooms.chatRoom(roomId));
    const event = newOwnerId ? { roomId, userId: user.id, ownerId: newOwnerId } : { roomId, userId: user.id };
    this.realtime.emit([rooms.chatRoom(roomId), rooms.user(user.id)], 'room:member-left', event, socketId);
    return { roomId };
  }

  private async getRow(roomId: string): Promise<RoomRow> {
    const row = await this.rooms.findById(roomId);
    if (!row) throw AppError.notFound('Room not found');
    return row;
  }
}
