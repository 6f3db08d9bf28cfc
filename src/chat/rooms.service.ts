import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FieldError, Room, RoomJoinResult, RoomMember, RoomMembersResult, RoomVisibility, User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { rooms } from '../realtime/rooms';
import { RealtimeService } from '../realtime/realtime.service';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { InjectPresenceQuery, type PresenceQuery } from '../access/presence-query';
import { UsersService } from '../users/users.service';
import { toRoom } from './chat.mapper';
import { MEMBER_PAGE_DEFAULT } from './dto/room-members.dto';
import { AccessService, roomNotFound } from '../access/access.service';
import { decodeMemberCursor, type MemberCursor } from '../access/member-cursor';
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
    private readonly access: AccessService,
    private readonly realtime: RealtimeService,
    @InjectPresenceQuery() private readonly presence: PresenceQuery,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Creates a room owned by the caller. `members` become members at once, unless their allowance
   * for rooms others added them to is full: then they are invited instead. Both get `room:invited`.
   */
  async create(owner: User, input: CreateRoomInput): Promise<Room> {
    const name = input.name.trim();
    if (!name) {
      const details: FieldError[] = [{ field: 'name', errors: ['name must not be blank'] }];
      throw AppError.invalid('Invalid payload: name must not be blank', details);
    }
    const memberIds = [...new Set(input.members ?? [])].filter((id) => id !== owner.id);
    const found = await this.users.findByIds(memberIds);
    if (found.length !== memberIds.length) {
      const known = new Set(found.map((u) => u.id));
      throw AppError.of('USERS_NOT_FOUND', { userIds: memberIds.filter((id) => !known.has(id)) }, 'Some members do not exist');
    }
    const id = randomUUID();
    const { added, invited } = await this.rooms.create(
      { id, name, visibility: input.visibility ?? 'public', owner_id: owner.id, created_at: new Date().toISOString() },
      memberIds,
      this.config.limits.roomsPerUser,
    );
    const room = toRoom(await this.getRow(id));
    for (const userId of [owner.id, ...added]) this.realtime.join(rooms.user(userId), rooms.chatRoom(id));
    const told = [...added, ...invited];
    if (told.length) this.realtime.emit(told.map(rooms.user), 'room:invited', { room, by: owner });
    return room;
  }

  async list(user: User, scope: 'joined' | 'public' = 'joined'): Promise<Room[]> {
    const rows = scope === 'public' ? await this.rooms.listPublic(PUBLIC_ROOM_LIST_LIMIT) : await this.rooms.listJoined(user.id);
    return rows.map(toRoom);
  }

  /**
   * Joins a room: public rooms are open to anyone, private ones to members and invitees. For a
   * member it only answers (no write, no event); otherwise every socket of the user starts
   * receiving the room. The answer carries the first page of members; `room:members` pages on.
   */
  async join(user: User, socketId: string, roomId: string): Promise<RoomJoinResult> {
    const standing = await this.access.requireRoomKnown(user.id, roomId);
    if (standing.role) return this.joinResult(await this.getRow(roomId), user.id);
    if (standing.visibility === 'private' && !standing.invited) throw roomNotFound();
    if (await this.rooms.addMember(roomId, user.id, new Date().toISOString(), this.config.limits.roomsPerUser)) {
      this.realtime.join(rooms.user(user.id), rooms.chatRoom(roomId));
      this.realtime.emit(rooms.chatRoom(roomId), 'room:member-joined', { roomId, user }, socketId);
    }
    return this.joinResult(await this.getRow(roomId), user.id);
  }

  /** `room:members`: a page of a room's members, for its members only. */
  async members(user: User, roomId: string, after: string | undefined, limit = MEMBER_PAGE_DEFAULT): Promise<RoomMembersResult> {
    const cursor = after === undefined ? undefined : decodeMemberCursor(after);
    await this.access.requireRoomMember(user.id, roomId, 'Only members see who is in this room');
    return this.memberPage(roomId, user.id, cursor, limit);
  }

  /**
   * Any member may invite an existing user; the invitee is told with `room:invited`. A user's
   * pending invites are bounded (MAX_ROOMS_PER_USER): the oldest is dropped past it.
   */
  async invite(inviter: User, roomId: string, userId: string): Promise<{ roomId: string; userId: string }> {
    await this.access.requireRoomMember(inviter.id, roomId, 'Only members may invite to this room');
    await this.access.requireUser(userId);
    if (await this.rooms.memberRole(roomId, userId)) return { roomId, userId };
    await this.rooms.addInvite(roomId, userId, inviter.id, new Date().toISOString(), this.config.limits.roomsPerUser);
    this.realtime.emit(rooms.user(userId), 'room:invited', { room: toRoom(await this.getRow(roomId)), by: inviter });
    return { roomId, userId };
  }

  /**
   * Leaves a room: none of the user's sockets receive it any more. An owner's leaving passes
   * ownership to the longest-standing member (`ownerId` in `room:member-left`); the last
   * member's leaving keeps the room, empty, and the next to join it becomes its owner.
   */
  async leave(user: User, socketId: string, roomId: string): Promise<{ roomId: string }> {
    const { removed, newOwnerId } = await this.rooms.removeMember(roomId, user.id);
    if (!removed) {
      // Not a member: the same refusal as any room-scoped event (NOT_FOUND for a room they may not know of).
      await this.access.requireRoomMember(user.id, roomId, 'You are not a member of this room');
    }
    this.realtime.leave(rooms.user(user.id), rooms.chatRoom(roomId));
    const event = newOwnerId ? { roomId, userId: user.id, ownerId: newOwnerId } : { roomId, userId: user.id };
    this.realtime.emit([rooms.chatRoom(roomId), rooms.user(user.id)], 'room:member-left', event, socketId);
    return { roomId };
  }

  private async joinResult(row: RoomRow, viewerId: string): Promise<RoomJoinResult> {
    return { room: toRoom(row), ...(await this.memberPage(row.id, viewerId, undefined, MEMBER_PAGE_DEFAULT)) };
  }

  /** One page of members with the presence of that page only. */
  private async memberPage(roomId: string, viewerId: string, after: MemberCursor | undefined, limit: number): Promise<RoomMembersResult> {
    const page = await this.rooms.memberPage(roomId, after, limit);
    const memberUsers: User[] = page.items.map((m) => ({
      id: m.user_id,
      username: m.username,
      displayName: m.display_name,
      createdAt: m.user_created_at,
    }));
    const presence = await this.presence.presenceOf(memberUsers, viewerId);
    const members = page.items.map((m): RoomMember => {
      const status = presence.get(m.user_id)?.status ?? 'offline';
      return { userId: m.user_id, username: m.username, role: m.role, online: status !== 'offline', status };
    });
    return page.next === undefined ? { members, hasMore: page.hasMore } : { members, hasMore: page.hasMore, next: page.next };
  }

  private async getRow(roomId: string): Promise<RoomRow> {
    const row = await this.rooms.findById(roomId);
    if (!row) throw roomNotFound();
    return row;
  }
}
