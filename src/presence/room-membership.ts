import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { decodeMemberCursor, toMemberPage } from '../chat/rooms.cursor';
import { AppError } from '../common/errors/app-error';
import type { Db } from '../storage/database';
import { InjectDb } from '../storage/database.module';

/** One page of a room's member ids, in the order of `room:members` (join time, then id). */
export interface MemberIdPage {
  ids: string[];
  hasMore: boolean;
  /** Cursor for `after`, only when `hasMore`. */
  next?: string;
}

/** Who belongs to a chat room, as presence needs it for `presence:list { roomId }`. */
export interface RoomMembership {
  /**
   * A page of the member ids of `roomId` when `viewerId` may see them (members only): `limit`
   * ids after the cursor `after` (BAD_REQUEST when malformed). NOT_FOUND for a room that does not
   * exist or that the viewer cannot know about (private, not invited: the same answer),
   * FORBIDDEN for a room the viewer knows of but has not joined.
   */
  memberIds(roomId: string, viewerId: string, page: { after?: string; limit: number }): Promise<MemberIdPage>;
}

export const ROOM_MEMBERSHIP = Symbol('ROOM_MEMBERSHIP');
export const InjectRoomMembership = () => Inject(ROOM_MEMBERSHIP);

/** Only the columns presence reads, so this module does not depend on chat's table types. */
interface RoomTables {
  rooms: { id: string; visibility: string };
  room_members: { room_id: string; user_id: string; joined_at: string };
  room_invites: { room_id: string; user_id: string };
}

/** Reads chat's `rooms` / `room_members` / `room_invites` tables (migrations 0002, 0003) directly. */
@Injectable()
export class SqlRoomMembership implements RoomMembership {
  private readonly db: Kysely<RoomTables>;

  constructor(@InjectDb() db: Db) {
    this.db = db as unknown as Kysely<RoomTables>;
  }

  async memberIds(roomId: string, viewerId: string, page: { after?: string; limit: number }): Promise<MemberIdPage> {
    const after = page.after === undefined ? undefined : decodeMemberCursor(page.after);
    // Primary-key lookups only: whether the room exists, and what the viewer is to it.
    const access = await this.db
      .selectFrom('rooms')
      .leftJoin('room_members as rm', (j) => j.onRef('rm.room_id', '=', 'rooms.id').on('rm.user_id', '=', viewerId))
      .leftJoin('room_invites as ri', (j) => j.onRef('ri.room_id', '=', 'rooms.id').on('ri.user_id', '=', viewerId))
      .select(['rooms.visibility', 'rm.user_id as member', 'ri.user_id as invitee'])
      .where('rooms.id', '=', roomId)
      .executeTakeFirst();
    if (!access || (!access.member && access.visibility === 'private' && !access.invitee)) throw AppError.notFound('Room not found');
    if (!access.member) throw AppError.forbidden('Only members see who is in this room');
    let query = this.db.selectFrom('room_members').select(['user_id', 'joined_at']).where('room_id', '=', roomId);
    if (after) query = query.where((eb) => eb(eb.refTuple('joined_at', 'user_id'), '>', eb.tuple(after.joinedAt, after.userId)));
    const rows = await query
      .orderBy('joined_at')
      .orderBy('user_id')
      .limit(page.limit + 1)
      .execute();
    const { items, hasMore, next } = toMemberPage(rows, page.limit);
    const ids = items.map((r) => r.user_id);
    return next === undefined ? { ids, hasMore } : { ids, hasMore, next };
  }
}
