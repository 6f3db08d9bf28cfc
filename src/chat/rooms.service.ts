import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type {
  AssignableRoomRole,
  FieldError,
  Room,
  RoomJoinResult,
  RoomMember,
  RoomMemberLeftEvent,
  RoomMembersResult,
  RoomVisibility,
  User,
} from '../contracts';
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
import { RoomsRepository, type OnMembershipChange, type RoomRole, type RoomRow } from './rooms.repository';

/** Who administers a room (`room:update`, `room:kick`), and who owns it (`room:set-role`, `room:delete`). */
const ADMINISTRATORS: readonly RoomRole[] = ['owner', 'admin'];
const OWNER: readonly RoomRole[] = ['owner'];

export interface RoomUpdateInput {
  roomId: string;
  name?: string;
  visibility?: RoomVisibility;
}

function requireName(raw: string): string {
  const name = raw.trim();
  if (!name) {
    const details: FieldError[] = [{ field: 'name', errors: ['name must not be blank'] }];
    throw AppError.invalid('Invalid payload: name must not be blank', details);
  }
  return name;
}

/** `room:list` with scope "public" returns at most this many rooms (by name). */
export const PUBLIC_ROOM_LIST_LIMIT = 500;

export interface CreateRoomInput {
  name: string;
  visibility?: RoomVisibility;
  members?: string[];
}

/**
 * Rooms and their membership. Members' sockets are kept in the socket.io room
 * `room:<id>` (on connect by ChatSubscriptions, on every membership change by `applyMembership`), so a room message is
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
    const name = requireName(input.name);
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
      this.applyMembership,
    );
    const room = toRoom(await this.getRow(id));
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
    if (await this.rooms.addMember(roomId, user.id, new Date().toISOString(), this.config.limits.roomsPerUser, this.applyMembership)) {
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
    const { removed, newOwnerId } = await this.rooms.removeMember(roomId, user.id, { reason: 'left', onChange: this.applyMembership });
    if (!removed) {
      // Not a member: the same refusal as any room-scoped event (NOT_FOUND for a room they may not know of).
      await this.access.requireRoomMember(user.id, roomId, 'You are not a member of this room');
    }
    await this.realtime.othersCaughtUp();
    this.announceLeft(leftEvent(roomId, user.id, 'left', newOwnerId), socketId);
    return { roomId };
  }

  /**
   * The server API's user deletion: `user` leaves each of `roomIds` as by `leave` (ownership
   * passes on; a room they already left is skipped), with one wait for the other instances for
   * all of them instead of one per room.
   */
  async leaveEvery(user: User, roomIds: readonly string[]): Promise<void> {
    const events: RoomMemberLeftEvent[] = [];
    for (const roomId of roomIds) {
      const { removed, newOwnerId } = await this.rooms.removeMember(roomId, user.id, { reason: 'deleted', onChange: this.applyMembership });
      if (removed) events.push(leftEvent(roomId, user.id, 'deleted', newOwnerId));
    }
    if (events.length === 0) return;
    await this.realtime.othersCaughtUp();
    for (const event of events) this.announceLeft(event);
  }

  private announceLeft(event: RoomMemberLeftEvent, socketId?: string): void {
    this.realtime.emit([rooms.chatRoom(event.roomId), rooms.user(event.userId)], 'room:member-left', event, socketId);
  }

  /** `room:update` (owner, admins): renames and/or changes visibility; the members get `room:updated`. */
  async update(actor: User, socketId: string, input: RoomUpdateInput): Promise<Room> {
    const patch: { name?: string; visibility?: RoomVisibility } = {};
    if (input.name !== undefined) patch.name = requireName(input.name);
    if (input.visibility !== undefined) patch.visibility = input.visibility;
    if (patch.name === undefined && patch.visibility === undefined) {
      throw AppError.invalid('Invalid payload: give name or visibility', [{ field: 'name', errors: ['give name or visibility'] }]);
    }
    await this.access.requireRoomRole(actor.id, input.roomId, ADMINISTRATORS);
    const row = await this.rooms.update(input.roomId, patch);
    if (!row) throw roomNotFound();
    const room = toRoom(row);
    this.realtime.emit(rooms.chatRoom(room.id), 'room:updated', { room }, socketId);
    return room;
  }

  /**
   * `room:kick` (owner, admins; see AccessService for who may remove whom): the member's sockets
   * stop receiving the room; the room, the kicked user's tabs and the actor's other tabs get
   * `room:member-left { reason: "kicked" }`.
   */
  async kick(actor: User, socketId: string, roomId: string, userId: string): Promise<Record<string, never>> {
    if (userId === actor.id)
      throw AppError.invalid('Invalid payload: use room:leave to leave', [{ field: 'userId', errors: ['userId must not be yourself'] }]);
    const actorRole = await this.access.requireRoomRole(actor.id, roomId, ADMINISTRATORS);
    const { removed } = await this.rooms.removeMember(roomId, userId, {
      reason: 'kicked',
      check: (target) => this.access.requireMayKick(actorRole, target),
      onChange: this.applyMembership,
    });
    if (!removed) throw AppError.of('MEMBER_NOT_FOUND');
    await this.realtime.othersCaughtUp();
    const event: RoomMemberLeftEvent = { roomId, userId, reason: 'kicked' };
    this.realtime.emit([rooms.chatRoom(roomId), rooms.user(userId), rooms.user(actor.id)], 'room:member-left', event, socketId);
    return {};
  }

  /** `room:set-role` (owner): makes a member an admin or a plain member again; no event (`room:members` shows roles). */
  async setRole(actor: User, roomId: string, userId: string, role: AssignableRoomRole): Promise<Record<string, never>> {
    await this.access.requireRoomRole(actor.id, roomId, OWNER);
    if (userId === actor.id)
      throw AppError.invalid('Invalid payload: the owner keeps their role', [{ field: 'userId', errors: ['userId must not be yourself'] }]);
    const found = await this.rooms.setRole(roomId, userId, role, (current) => {
      if (current === 'owner') throw AppError.of('ROOM_ROLE_REQUIRED');
    });
    if (!found) throw AppError.of('MEMBER_NOT_FOUND');
    return {};
  }

  /**
   * `room:delete` (owner): the room, its members and invites go; every member's sockets stop
   * receiving it and get `room:deleted` (one emit, whatever the room's size).
   */
  async delete(actor: User, socketId: string, roomId: string): Promise<Record<string, never>> {
    await this.access.requireRoomRole(actor.id, roomId, OWNER);
    // Told through the room itself, just before its sockets leave it (inside the transaction):
    // one emit whatever the room's size; nothing the room receives after the commit reaches anyone.
    const deleted = await this.rooms.deleteRoom(roomId, (change) => {
      this.realtime.emit(rooms.chatRoom(roomId), 'room:deleted', { roomId }, socketId);
      this.applyMembership(change);
    });
    if (!deleted) throw roomNotFound();
    await this.realtime.othersCaughtUp();
    return {};
  }

  /**
   * The one place where committed membership moves sockets: called by RoomsRepository inside the
   * transaction of each change (see MembershipChange), for every instance through the adapter.
   * A leave, kick or delete is acknowledged only once the other instances caught up
   * (`othersCaughtUp`, after the commit: no lock is held while waiting), so nothing sent after
   * the acknowledgement reaches the user who left, from any instance.
   */
  private readonly applyMembership: OnMembershipChange = (change) => {
    switch (change.kind) {
      case 'joined':
        for (const userId of change.userIds) this.realtime.join(rooms.user(userId), rooms.chatRoom(change.roomId));
        return;
      case 'left':
        this.realtime.leave(rooms.user(change.userId), rooms.chatRoom(change.roomId));
        return;
      case 'deleted':
        this.realtime.leave(rooms.chatRoom(change.roomId), rooms.chatRoom(change.roomId));
        return;
    }
  };

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

function leftEvent(roomId: string, userId: string, reason: RoomMemberLeftEvent['reason'], newOwnerId?: string): RoomMemberLeftEvent {
  const event: RoomMemberLeftEvent = { roomId, userId, reason };
  if (newOwnerId) event.ownerId = newOwnerId;
  return event;
}
