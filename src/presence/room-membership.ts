import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { AppError } from '../common/errors/app-error';
import type { Db } from '../storage/database';
import { InjectDb } from '../storage/database.module';

/** Who belongs to a chat room, as presence needs it for `presence:list { roomId }`. */
export interface RoomMembership {
  /**
   * Member ids of `roomId` when `viewerId` may see them (members only). NOT_FOUND for a room
   * that does not exist or that the viewer cannot know about (private), FORBIDDEN for a
   * public room the viewer has not joined.
   */
  memberIds(roomId: string, viewerId: string): Promise<string[]>;
}

export const ROOM_MEMBERSHIP = Symbol('ROOM_MEMBERSHIP');
export const InjectRoomMembership = () => Inject(ROOM_MEMBERSHIP);

/** Only the columns presence reads, so this module does not depend on chat's table types. */
interface RoomTables {
  rooms: { id: string; visibility: string };
  room_members: { room_id: string; user_id: string };
}

/** Reads chat's `rooms` / `room_members` tables (migration 0002) directly. */
@Injectable()
export class SqlRoomMembership implements RoomMembership {
  private readonly db: Kysely<RoomTables>;

  constructor(@InjectDb() db: Db) {
    this.db = db as unknown as Kysely<RoomTables>;
  }

  async memberIds(roomId: string, viewerId: string): Promise<string[]> {
    const room = await this.db.selectFrom('rooms').select(['id', 'visibility']).where('id', '=', roomId).executeTakeFirst();
    if (!room) throw AppError.notFound('Room not found');
    const rows = await this.db.selectFrom('room_members').select('user_id').where('room_id', '=', roomId).execute();
    const ids = rows.map((r) => r.user_id);
    if (!ids.includes(viewerId)) {
      if (room.visibility === 'public') throw AppError.forbidden('Only members see who is in this room');
      throw AppError.notFound('Room not found');
    }
    return ids;
  }
}
