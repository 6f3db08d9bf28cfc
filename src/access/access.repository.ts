import { Injectable } from '@nestjs/common';
import type { RoomMembersTable, RoomsTable } from '../storage/database.types';
import type { Db } from '../storage/database';
import { InjectDb } from '../storage/database.module';
import { preparedQuery } from '../storage/prepared-query';
import { toMemberPage, type MemberCursor } from './member-cursor';

export type RoomRole = RoomMembersTable['role'];

/** What one user is to one room. */
export interface RoomStanding {
  visibility: RoomsTable['visibility'];
  /** Set when the user is a member. */
  role?: RoomRole;
  /** A pending invite exists. */
  invited: boolean;
}

/** One page of a room's member ids, in `room:members` order (join time, then id). */
export interface MemberIdPage {
  ids: string[];
  hasMore: boolean;
  /** Cursor for `after`, only when `hasMore`. */
  next?: string;
}

/** `blockerId` blocked `blockedId` (a type, not an interface: prepared queries take plain records). */
export type BlockPair = { blockerId: string; blockedId: string };

/** Asked on every direct message (inside its append, see MessagesRepository) and typing event. */
export const blockRow = preparedQuery(['blockerId', 'blockedId'], (db, p: BlockPair) =>
  db.selectFrom('user_blocks').select('blocker_id').where('blocker_id', '=', p.blockerId).where('blocked_id', '=', p.blockedId),
);

/** Asked on every presence change (its subscribers' blocks) and with a connecting socket's rooms. */
export const blockedIdsOf = preparedQuery(['blockerId'], (db, p: { blockerId: string }) =>
  db.selectFrom('user_blocks').select('blocked_id').where('blocker_id', '=', p.blockerId),
);

/** The reads every access decision is made of: primary-key lookups only, so a check never grows with a room. */
@Injectable()
export class AccessRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  async memberRole(roomId: string, userId: string): Promise<RoomRole | undefined> {
    const row = await this.db
      .selectFrom('room_members')
      .select('role')
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  /** The room's visibility and what `userId` is to it, in one query; undefined for an unknown room. */
  async standing(roomId: string, userId: string): Promise<RoomStanding | undefined> {
    const row = await this.db
      .selectFrom('rooms')
      .leftJoin('room_members as rm', (j) => j.onRef('rm.room_id', '=', 'rooms.id').on('rm.user_id', '=', userId))
      .leftJoin('room_invites as ri', (j) => j.onRef('ri.room_id', '=', 'rooms.id').on('ri.user_id', '=', userId))
      .select(['rooms.visibility', 'rm.role as role', 'ri.user_id as invitee'])
      .where('rooms.id', '=', roomId)
      .executeTakeFirst();
    if (!row) return undefined;
    const invited = row.invitee !== null;
    return row.role ? { visibility: row.visibility, role: row.role, invited } : { visibility: row.visibility, invited };
  }

  /** Whether `blockerId` blocked `blockedId`: one primary-key lookup. */
  async isBlocked(blockerId: string, blockedId: string): Promise<boolean> {
    return (await blockRow(this.db, { blockerId, blockedId })).rows.length > 0;
  }

  /** The users `blockerId` blocked (at most MAX_BLOCKS_PER_USER rows: a range of the primary key). */
  async blockedBy(blockerId: string): Promise<string[]> {
    return (await blockedIdsOf(this.db, { blockerId })).rows.map((r) => r.blocked_id);
  }

  /** Which of `userIds` blocked `blockedId` (`userIds` is one page of presence: bounded). */
  async blockersAmong(blockedId: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('user_blocks')
      .select('blocker_id')
      .where('blocked_id', '=', blockedId)
      .where('blocker_id', 'in', userIds)
      .execute();
    return rows.map((r) => r.blocker_id);
  }

  async userExists(userId: string): Promise<boolean> {
    return (await this.db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst()) !== undefined;
  }

  /** The id of the user whose identity-provider subject this is. */
  async userIdOfSubject(subject: string): Promise<string | undefined> {
    return (await this.db.selectFrom('users').select('id').where('external_id', '=', subject).executeTakeFirst())?.id;
  }

  /** `limit` member ids after `after`, by (joined_at, user_id): an index range, whatever the room's size. */
  async memberIds(roomId: string, after: MemberCursor | undefined, limit: number): Promise<MemberIdPage> {
    let query = this.db.selectFrom('room_members').select(['user_id', 'joined_at']).where('room_id', '=', roomId);
    if (after) query = query.where((eb) => eb(eb.refTuple('joined_at', 'user_id'), '>', eb.tuple(after.joinedAt, after.userId)));
    const rows = await query
      .orderBy('joined_at')
      .orderBy('user_id')
      .limit(limit + 1)
      .execute();
    const { items, hasMore, next } = toMemberPage(rows, limit);
    const ids = items.map((r) => r.user_id);
    return next === undefined ? { ids, hasMore } : { ids, hasMore, next };
  }
}
