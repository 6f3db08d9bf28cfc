import { Injectable } from '@nestjs/common';
import type { Insertable, Selectable, Transaction } from 'kysely';
import { blockedIdsOf } from '../access/access.repository';
import { roomNotFound } from '../access/access.service';
import { AppError } from '../common/errors/app-error';
import { InjectConfig, type AppConfig } from '../config/config.module';
import type { Db } from '../storage/database';
import type { Database, RoomMembersTable, RoomsTable } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';
import { inPipelinedTransaction, postgresPool, sqlLiteral } from '../storage/pg-pipeline';
import { preparedQuery } from '../storage/prepared-query';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { toRoom } from './chat.mapper';
import { toMemberPage, type MemberCursor, type MemberPage } from '../access/member-cursor';

export type RoomRow = Selectable<RoomsTable>;
export type RoomRole = RoomMembersTable['role'];
export interface RoomMemberRow {
  room_id: string;
  user_id: string;
  role: RoomRole;
  joined_at: string;
  username: string;
  display_name: string;
  user_created_at: string;
}

/** Result of `removeMember`: whether the user was a member and who owns the room now. */
export interface RemovedMember {
  removed: boolean;
  /** Set when the leaver owned the room and ownership passed to this member. */
  newOwnerId?: string;
}

/** How `removeMember` removes: why (for the event), a check of the member's role (may throw), and the hook. */
export interface RemoveHow {
  /** `deleted`: the member's account was deleted (server API). */
  reason: 'left' | 'kicked' | 'deleted';
  check?: (role: RoomRole) => void;
  onChange: OnMembershipChange;
}

/** What a connecting socket's user is in and whom they blocked (RoomsRepository.joinOwnRooms). */
export interface OwnChat {
  roomIds: string[];
  blockedIds: string[];
}

/** Result of `create`: who became a member, and who was invited instead (their allowance was full). */
export interface CreatedRoom {
  added: string[];
  invited: string[];
}

/**
 * A membership change, handed to the caller inside the transaction that writes it (after the
 * writes, before the commit; see `RoomsService.applyMembership`). While it runs the users
 * concerned are locked (PostgreSQL row locks; SQLite runs one transaction at a time), and so is
 * every connecting socket's read of its rooms (`joinOwnRooms`): a socket either reads the
 * membership before the change and is in the socket.io room when the change moves it, or reads
 * it after the commit.
 */
export type MembershipChange =
  | { kind: 'joined'; roomId: string; userIds: string[] }
  | { kind: 'left'; roomId: string; userId: string; reason: 'left' | 'kicked' | 'deleted' }
  | { kind: 'deleted'; roomId: string };
export type OnMembershipChange = (change: MembershipChange) => void;

/** Ids per `IN (...)` list: far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
export const ID_BATCH = 1000;

type Trx = Transaction<Database>;

/**
 * Rooms, members and invites. Membership changes that are capped run in one transaction with the
 * count they are checked against: on PostgreSQL the users concerned are locked first (sorted, so
 * two transactions never wait on each other in a cycle); on SQLite Kysely's single connection
 * runs one transaction at a time (SqliteDriver's connection mutex) so the count cannot go stale.
 */
/** Read by every connecting socket (joinOwnRooms). */
const roomIdsOf = preparedQuery(['userId'], (db, p: { userId: string }) =>
  db.selectFrom('room_members').select('room_id').where('user_id', '=', p.userId),
);

@Injectable()
export class RoomsRepository {
  private readonly postgres: boolean;

  constructor(
    @InjectDb() private readonly db: Db,
    @InjectConfig() config: AppConfig,
    private readonly webhooks: WebhookOutbox,
  ) {
    this.postgres = config.database.kind === 'postgres';
  }

  private rooms() {
    return this.db.selectFrom('rooms').selectAll('rooms');
  }

  /**
   * Creates the room, its conversation row and its first members in one transaction. Refuses
   * (FORBIDDEN, limit) when the owner already is in `limit` rooms of their own. A member whose
   * allowance for rooms others added them to is full is invited instead; so are pending invites
   * bounded (`trimInvites`).
   */
  create(room: Insertable<RoomsTable>, memberIds: readonly string[], limit: number, onChange: OnMembershipChange): Promise<CreatedRoom> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockUsers(trx, [room.owner_id, ...memberIds]);
      if ((await this.ownRoomCount(trx, room.owner_id)) >= limit) throw AppError.limitReached('rooms per user', limit);
      const addedCounts = await this.addedRoomCounts(trx, memberIds);
      const added = memberIds.filter((id) => (addedCounts.get(id) ?? 0) < limit);
      const invited = memberIds.filter((id) => (addedCounts.get(id) ?? 0) >= limit);
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
          { room_id: room.id, user_id: room.owner_id, role: 'owner', joined_at: room.created_at, added_by: null },
          ...added.map((userId) => ({
            room_id: room.id,
            user_id: userId,
            role: 'member' as const,
            joined_at: room.created_at,
            added_by: room.owner_id,
          })),
        ])
        .execute();
      if (invited.length) {
        await trx
          .insertInto('room_invites')
          .values(invited.map((userId) => ({ room_id: room.id, user_id: userId, invited_by: room.owner_id, created_at: room.created_at })))
          .execute();
        await this.trimInvites(trx, invited, limit);
      }
      onChange({ kind: 'joined', roomId: room.id, userIds: [room.owner_id, ...added] });
      if (this.webhooks.wants('room.created')) {
        const created = await trx.selectFrom('rooms').selectAll().where('id', '=', room.id).executeTakeFirstOrThrow();
        await this.webhooks.record(trx, 'room.created', { room: toRoom(created), memberIds: [room.owner_id, ...added] });
      }
      return { added, invited };
    });
  }

  async findById(id: string): Promise<RoomRow | undefined> {
    return this.rooms().where('rooms.id', '=', id).executeTakeFirst();
  }

  async findByIds(ids: readonly string[]): Promise<RoomRow[]> {
    const rows: RoomRow[] = [];
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      rows.push(
        ...(await this.rooms()
          .where('rooms.id', 'in', ids.slice(i, i + ID_BATCH))
          .execute()),
      );
    }
    return rows;
  }

  /** Every room the user is in (at most 2 × MAX_ROOMS_PER_USER: their own and those others added them to). */
  listJoined(userId: string): Promise<RoomRow[]> {
    return this.rooms()
      .where('rooms.id', 'in', (eb) => eb.selectFrom('room_members').select('room_id').where('user_id', '=', userId))
      .orderBy('rooms.name')
      .orderBy('rooms.id')
      .execute();
  }

  listPublic(limit: number): Promise<RoomRow[]> {
    return this.rooms().where('rooms.visibility', '=', 'public').orderBy('rooms.name').orderBy('rooms.id').limit(limit).execute();
  }

  /**
   * The rooms of a connecting socket's user and the users they blocked, handed to `inside` within
   * a transaction that holds the user's lock (shared: tabs connecting at once do not wait on each
   * other), so no membership change of that user commits between this read and the socket's
   * joining (see MembershipChange). The block list rides along for the connect listeners
   * (presence's coming-online broadcast leaves the blocked out), saving them a round trip.
   */
  joinOwnRooms(userId: string, inside: (own: OwnChat) => void): Promise<void> {
    const pool = postgresPool(this.db);
    if (pool) {
      // Begin, lock and reads in one round trip, commit in another (a handshake's, so it counts).
      const id = sqlLiteral(userId);
      return inPipelinedTransaction<[{ id: string }[], { room_id: string }[], { blocked_id: string }[]]>(
        pool,
        [
          `select id from users where id = ${id} for share`,
          `select room_id from room_members where user_id = ${id}`,
          `select blocked_id from user_blocks where blocker_id = ${id}`,
        ],
        ([, rooms, blocks]) => inside({ roomIds: rooms.map((r) => r.room_id), blockedIds: blocks.map((b) => b.blocked_id) }),
      );
    }
    return this.db.transaction().execute(async (trx) => {
      const rooms = await roomIdsOf(trx, { userId });
      const blocks = await blockedIdsOf(trx, { blockerId: userId });
      inside({ roomIds: rooms.rows.map((r) => r.room_id), blockedIds: blocks.rows.map((b) => b.blocked_id) });
    });
  }

  memberRole(roomId: string, userId: string): Promise<RoomRole | undefined> {
    return this.roleIn(this.db, roomId, userId);
  }

  /** The user's role in the room (undefined: not a member), in `trx` or outside any transaction. */
  private async roleIn(db: Db | Trx, roomId: string, userId: string): Promise<RoomRole | undefined> {
    const row = await db
      .selectFrom('room_members')
      .select('role')
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  /**
   * Invites a user (a no-op when already invited) and keeps their pending invites at `bound` by
   * dropping the oldest. Returns whether the invite is new.
   */
  addInvite(roomId: string, userId: string, invitedBy: string, at: string, bound: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockUsers(trx, [userId]);
      const result = await trx
        .insertInto('room_invites')
        .values({ room_id: roomId, user_id: userId, invited_by: invitedBy, created_at: at })
        .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing())
        .executeTakeFirst();
      const inserted = Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
      if (inserted) await this.trimInvites(trx, [userId], bound);
      return inserted;
    });
  }

  /**
   * Adds the user to the room by their own action (`room:join`) and consumes their invite. The
   * first member of an empty room becomes its owner. Everything is checked again inside the
   * transaction: the room still exists (else NOT_FOUND), a private room needs the invite (else
   * NOT_FOUND), and the user is in fewer than `limit` rooms of their own (else FORBIDDEN, limit).
   * Returns false when the user already was a member.
   */
  addMember(roomId: string, userId: string, at: string, limit: number, onChange: OnMembershipChange): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // A no-op update takes the room's row lock on PostgreSQL, so membership changes of one
      // room (and the owner hand-over) are serialized; SQLite has a single writer anyway.
      const locked = await trx
        .updateTable('rooms')
        .set((eb) => ({ owner_id: eb.ref('owner_id') }))
        .where('id', '=', roomId)
        .returning(['visibility'])
        .executeTakeFirst();
      if (!locked) throw roomNotFound();
      await this.lockUsers(trx, [userId]);
      const existing = await trx
        .selectFrom('room_members')
        .select('user_id')
        .where('room_id', '=', roomId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (existing) return false;
      const invite = await trx
        .selectFrom('room_invites')
        .select('user_id')
        .where('room_id', '=', roomId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (locked.visibility === 'private' && !invite) throw roomNotFound();
      if ((await this.ownRoomCount(trx, userId)) >= limit) throw AppError.limitReached('rooms per user', limit);
      const anyMember = await trx.selectFrom('room_members').select('user_id').where('room_id', '=', roomId).limit(1).executeTakeFirst();
      const role = anyMember ? 'member' : 'owner';
      await trx.insertInto('room_members').values({ room_id: roomId, user_id: userId, role, joined_at: at, added_by: null }).execute();
      if (role === 'owner') await trx.updateTable('rooms').set({ owner_id: userId }).where('id', '=', roomId).execute();
      if (invite) await trx.deleteFrom('room_invites').where('room_id', '=', roomId).where('user_id', '=', userId).execute();
      onChange({ kind: 'joined', roomId, userIds: [userId] });
      await this.webhooks.record(trx, 'room.member_joined', { roomId, userId });
      return true;
    });
  }

  /**
   * Removes a member. When the owner leaves, ownership passes to the longest-standing member
   * (earliest `joined_at`, then lowest user id). A room whose last member leaves is kept,
   * empty, with its history; its owner_id keeps naming the last owner.
   */
  removeMember(roomId: string, userId: string, how: RemoveHow): Promise<RemovedMember> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockRoom(trx, roomId);
      await this.lockUsers(trx, [userId]);
      const role = await this.roleIn(trx, roomId, userId);
      if (!role) return { removed: false };
      how.check?.(role);
      await trx.deleteFrom('room_members').where('room_id', '=', roomId).where('user_id', '=', userId).execute();
      how.onChange({ kind: 'left', roomId, userId, reason: how.reason });
      if (role !== 'owner') {
        await this.webhooks.record(trx, 'room.member_left', { roomId, userId });
        return { removed: true };
      }
      // The (room_id, joined_at, user_id) index gives the heir without reading the room.
      const heir = await trx
        .selectFrom('room_members')
        .select('user_id')
        .where('room_id', '=', roomId)
        .orderBy('joined_at')
        .orderBy('user_id')
        .limit(1)
        .executeTakeFirst();
      if (!heir) {
        await this.webhooks.record(trx, 'room.member_left', { roomId, userId });
        return { removed: true };
      }
      await trx
        .updateTable('room_members')
        .set({ role: 'owner' })
        .where('room_id', '=', roomId)
        .where('user_id', '=', heir.user_id)
        .execute();
      await trx.updateTable('rooms').set({ owner_id: heir.user_id }).where('id', '=', roomId).execute();
      await this.webhooks.record(trx, 'room.member_left', { roomId, userId, ownerId: heir.user_id });
      return { removed: true, newOwnerId: heir.user_id };
    });
  }

  /** Renames the room and/or changes its visibility; undefined for an unknown room. */
  async update(roomId: string, patch: { name?: string; visibility?: RoomsTable['visibility'] }): Promise<RoomRow | undefined> {
    await this.db.updateTable('rooms').set(patch).where('id', '=', roomId).execute();
    return this.findById(roomId);
  }

  /**
   * Gives a member another role. `check` sees the target's current role inside the transaction
   * (and may throw); false when the user is not a member.
   */
  setRole(roomId: string, userId: string, role: 'admin' | 'member', check: (current: RoomRole) => void): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockRoom(trx, roomId);
      const current = await this.roleIn(trx, roomId, userId);
      if (!current) return false;
      check(current);
      await trx.updateTable('room_members').set({ role }).where('room_id', '=', roomId).where('user_id', '=', userId).execute();
      return true;
    });
  }

  /**
   * Deletes a room with its members and invites (cascade). Its conversation and messages stay
   * in storage, unreachable: every read goes through a membership that no longer exists.
   * False when the room was already gone.
   */
  deleteRoom(roomId: string, onChange: OnMembershipChange): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      if (!(await this.lockRoom(trx, roomId))) return false;
      await trx.deleteFrom('room_invites').where('room_id', '=', roomId).execute();
      await trx.deleteFrom('room_members').where('room_id', '=', roomId).execute();
      await trx.deleteFrom('rooms').where('id', '=', roomId).execute();
      onChange({ kind: 'deleted', roomId });
      return true;
    });
  }

  /**
   * One page of members with their user data, by (joined_at, user_id) after `after`: a seek on
   * room_members_page_idx, so the cost is the page's, not the room's.
   */
  async memberPage(roomId: string, after: MemberCursor | undefined, limit: number): Promise<MemberPage<RoomMemberRow>> {
    let query = this.db
      .selectFrom('room_members as rm')
      .innerJoin('users as u', 'u.id', 'rm.user_id')
      .select(['rm.room_id', 'rm.user_id', 'rm.role', 'rm.joined_at', 'u.username', 'u.display_name', 'u.created_at as user_created_at'])
      .where('rm.room_id', '=', roomId);
    if (after) query = query.where((eb) => eb(eb.refTuple('rm.joined_at', 'rm.user_id'), '>', eb.tuple(after.joinedAt, after.userId)));
    const rows = await query
      .orderBy('rm.joined_at')
      .orderBy('rm.user_id')
      .limit(limit + 1)
      .execute();
    return toMemberPage(rows, limit);
  }

  // ---- inside capped transactions ---------------------------------------------------------

  /** A no-op update that takes the room's row lock on PostgreSQL (membership changes of one room run one at a time). */
  private async lockRoom(trx: Trx, roomId: string): Promise<boolean> {
    const locked = await trx
      .updateTable('rooms')
      .set((eb) => ({ owner_id: eb.ref('owner_id') }))
      .where('id', '=', roomId)
      .executeTakeFirst();
    return Number(locked.numUpdatedRows) > 0;
  }

  /** PostgreSQL: row locks on the users whose counts the transaction checks (sorted: no deadlock cycles). */
  private async lockUsers(trx: Trx, userIds: readonly string[]): Promise<void> {
    if (!this.postgres) return;
    const ids = [...new Set(userIds)].sort();
    // NO KEY UPDATE: serializes these transactions without blocking inserts that merely reference the user (sessions).
    await trx.selectFrom('users').select('id').where('id', 'in', ids).orderBy('id').forNoKeyUpdate().execute();
  }

  /** Rooms the user created or joined themselves. */
  private async ownRoomCount(trx: Trx, userId: string): Promise<number> {
    const row = await trx
      .selectFrom('room_members')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_id', '=', userId)
      .where('added_by', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Rooms others added each user to (`userIds` ≤ MAX_INITIAL_MEMBERS). */
  private async addedRoomCounts(trx: Trx, userIds: readonly string[]): Promise<Map<string, number>> {
    if (userIds.length === 0) return new Map();
    const rows = await trx
      .selectFrom('room_members')
      .select((eb) => ['user_id', eb.fn.countAll<number | string>().as('n')])
      .where('user_id', 'in', userIds)
      .where('added_by', 'is not', null)
      .groupBy('user_id')
      .execute();
    return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
  }

  /** Drops each user's oldest pending invites beyond `bound` (`userIds` ≤ MAX_INITIAL_MEMBERS). */
  private async trimInvites(trx: Trx, userIds: readonly string[], bound: number): Promise<void> {
    const counts = await trx
      .selectFrom('room_invites')
      .select((eb) => ['user_id', eb.fn.countAll<number | string>().as('n')])
      .where('user_id', 'in', userIds)
      .groupBy('user_id')
      .execute();
    for (const { user_id, n } of counts) {
      const excess = Number(n) - bound;
      if (excess <= 0) continue;
      // The oldest by a subquery, so a long legacy backlog never becomes a long parameter list.
      await trx
        .deleteFrom('room_invites')
        .where('user_id', '=', user_id)
        .where('room_id', 'in', (eb) =>
          eb
            .selectFrom('room_invites')
            .select('room_id')
            .where('user_id', '=', user_id)
            .orderBy('created_at')
            .orderBy('room_id')
            .limit(excess),
        )
        .execute();
    }
  }
}
