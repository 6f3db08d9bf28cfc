import { Injectable } from '@nestjs/common';
import type { Selectable } from 'kysely';
import type { Db } from '../storage/database';
import type { RoomMembersTable, RoomsTable } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';

export type RoomRow = Selectable<RoomsTable> & { member_count: number };
export type RoomMemberRow = Selectable<RoomMembersTable> & { username: string; display_name: string; user_created_at: string };

/** Result of `removeMember`: whether the user was a member and who owns the room now. */
export interface RemovedMember {
  removed: boolean;
  /** Set when the leaver owned the room and ownership passed to this member. */
  newOwnerId?: string;
}

@Injectable()
export class RoomsRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  private rooms() {
    return this.db
      .selectFrom('rooms')
      .selectAll('rooms')
      .select((eb) =>
        eb
          .selectFrom('room_members')
          .select(eb.fn.countAll<number | string>().as('n'))
          .whereRef('room_members.room_id', '=', 'rooms.id')
          .as('member_count'),
      );
  }

  /** Creates the room, its conversation row and its first members in one transaction. */
  async create(room: Selectable<RoomsTable>, memberIds: readonly string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('rooms').values(room).execute();
      await trx
        .insertInto('conversations')
        .values({
          id: `room:${room.id}`,
          kind: 'room',
          room_id: room.id,
          user_a: null,
          user_b: null,
          last_seq: 0,
          last_message_at: null,
          created_at: room.created_at,
        })
        .execute();
      await trx
        .insertInto('room_members')
        .values([
          { room_id: room.id, user_id: room.owner_id, role: 'owner', joined_at: room.created_at },
          ...memberIds.map((userId) => ({ room_id: room.id, user_id: userId, role: 'member' as const, joined_at: room.created_at })),
        ])
        .execute();
    });
  }

  async findById(id: string): Promise<RoomRow | undefined> {
    const row = await this.rooms().where('rooms.id', '=', id).executeTakeFirst();
    return row && toRoomRow(row);
  }

  async findByIds(ids: readonly string[]): Promise<RoomRow[]> {
    if (ids.length === 0) return [];
    return (await this.rooms().where('rooms.id', 'in', ids).execute()).map(toRoomRow);
  }

  async listJoined(userId: string): Promise<RoomRow[]> {
    const rows = await this.rooms()
      .where('rooms.id', 'in', (eb) => eb.selectFrom('room_members').select('room_id').where('user_id', '=', userId))
      .orderBy('rooms.name')
      .orderBy('rooms.id')
      .execute();
    return rows.map(toRoomRow);
  }

  async listPublic(limit: number): Promise<RoomRow[]> {
    const rows = await this.rooms()
      .where('rooms.visibility', '=', 'public')
      .orderBy('rooms.name')
      .orderBy('rooms.id')
      .limit(limit)
      .execute();
    return rows.map(toRoomRow);
  }

  async roomIdsOf(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('room_members').select('room_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.room_id);
  }

  async memberRole(roomId: string, userId: string): Promise<'owner' | 'member' | undefined> {
    const row = await this.db
      .selectFrom('room_members')
      .select('role')
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  async exists(roomId: string): Promise<boolean> {
    return (await this.db.selectFrom('rooms').select('id').where('id', '=', roomId).executeTakeFirst()) !== undefined;
  }

  async hasInvite(roomId: string, userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('room_invites')
      .select('user_id')
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async addInvite(roomId: string, userId: string, invitedBy: string, at: string): Promise<void> {
    await this.db
      .insertInto('room_invites')
      .values({ room_id: roomId, user_id: userId, invited_by: invitedBy, created_at: at })
      .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing())
      .execute();
  }

  /**
   * Adds a member and consumes their invite. The first member of an empty room becomes its
   * owner. Returns false when the user already was a member.
   */
  addMember(roomId: string, userId: string, at: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // A no-op update takes the room's row lock on PostgreSQL, so membership changes of one
      // room (and the owner hand-over) are serialized; SQLite has a single writer anyway.
      await trx
        .updateTable('rooms')
        .set((eb) => ({ owner_id: eb.ref('owner_id') }))
        .where('id', '=', roomId)
        .execute();
      const existing = await trx
        .selectFrom('room_members')
        .select('user_id')
        .where('room_id', '=', roomId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (existing) return false;
      const anyMember = await trx.selectFrom('room_members').select('user_id').where('room_id', '=', roomId).limit(1).executeTakeFirst();
      const role = anyMember ? 'member' : 'owner';
      await trx.insertInto('room_members').values({ room_id: roomId, user_id: userId, role, joined_at: at }).execute();
      if (role === 'owner') await trx.updateTable('rooms').set({ owner_id: userId }).where('id', '=', roomId).execute();
      await trx.deleteFrom('room_invites').where('room_id', '=', roomId).where('user_id', '=', userId).execute();
      return true;
    });
  }

  /**
   * Removes a member. When the owner leaves, ownership passes to the longest-standing member
   * (earliest `joined_at`, then lowest user id). A room whose last member leaves is kept,
   * empty, with its history; its owner_id keeps naming the last owner.
   */
  removeMember(roomId: string, userId: string): Promise<RemovedMember> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('rooms')
        .set((eb) => ({ owner_id: eb.ref('owner_id') }))
        .where('id', '=', roomId)
        .execute();
      const member = await trx
        .selectFrom('room_members')
        .select('role')
        .where('room_id', '=', roomId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!member) return { removed: false };
      await trx.deleteFrom('room_members').where('room_id', '=', roomId).where('user_id', '=', userId).execute();
      if (member.role !== 'owner') return { removed: true };
      const heir = await trx
        .selectFrom('room_members')
        .select('user_id')
        .where('room_id', '=', roomId)
        .orderBy('joined_at')
        .orderBy('user_id')
        .limit(1)
        .executeTakeFirst();
      if (!heir) return { removed: true };
      await trx
        .updateTable('room_members')
        .set({ role: 'owner' })
        .where('room_id', '=', roomId)
        .where('user_id', '=', heir.user_id)
        .execute();
      await trx.updateTable('rooms').set({ owner_id: heir.user_id }).where('id', '=', roomId).execute();
      return { removed: true, newOwnerId: heir.user_id };
    });
  }

  /** Members with their user data, owner first, then by join time. */
  members(roomId: string): Promise<RoomMemberRow[]> {
    return this.db
      .selectFrom('room_members as rm')
      .innerJoin('users as u', 'u.id', 'rm.user_id')
      .select(['rm.room_id', 'rm.user_id', 'rm.role', 'rm.joined_at', 'u.username', 'u.display_name', 'u.created_at as user_created_at'])
      .where('rm.room_id', '=', roomId)
      .orderBy('rm.joined_at')
      .orderBy('rm.user_id')
      .execute();
  }
}

function toRoomRow(row: Selectable<RoomsTable> & { member_count: number | string | null }): RoomRow {
  return { ...row, member_count: Number(row.member_count ?? 0) };
}
