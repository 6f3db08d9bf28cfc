import { Injectable } from '@nestjs/common';
import type { Presence, PresenceUsersResult, SettableStatus, User } from '../contracts';
import { AccessService } from '../access/access.service';
import { AppError } from '../common/errors/app-error';
import { rooms } from '../realtime/rooms';
import { RealtimeService } from '../realtime/realtime.service';
import type { AppSocket } from '../realtime/socket.types';
import { InjectConfig, type AppConfig } from '../config/config.module';
import type { DisconnectedSocket } from '../realtime/connections/connection-lifecycle';
import { LISTENER_ORDER } from '../realtime/connections/listener-order';
import { OnConnection } from '../realtime/connections/on-connection.decorator';
import { InjectConnectionStore, type ConnectionCounts, type ConnectionStore } from '../realtime/connections/connection-store';
import type { DueDeadline } from '../realtime/grace/grace-deadlines';
import { GracePeriods, type GraceKind } from '../realtime/grace/grace-periods';
import { UsersRepository } from '../users/users.repository';
import { toUser } from '../users/users.mapper';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import type { PresenceQuery } from '../access/presence-query';
import { presenceRooms } from './presence-rooms';
import { InjectPresenceStore, type PresenceState, type PresenceStore } from './presence.store';
import { InjectPresenceSubscriptions, type PresenceSubscriptions, type PresenceTarget } from './presence-subscriptions';
import { PRESENCE_LIST_PAGE_DEFAULT, PRESENCE_LIST_PAGE_MAX } from './dto/presence-list.dto';

type Named = Pick<User, 'id' | 'username'>;

/** GraceDeadlines kind of the users whose last socket went (payload: the presence epoch then). */
const GOING_OFFLINE = 'offline';

/**
 * Who is online. A user is online from their first socket until the grace period after their
 * last one; the announced state sits in the PresenceStore, socket counts in the ConnectionStore.
 * `presence:update` goes only to subscribed sockets (rooms `presence:<id>` / `presence:all`),
 * once per change of what they can see; a user's own tabs get their true state instead.
 *
 * The grace period's deadline is kept in GraceDeadlines (Redis with several instances); the local
 * timer is the fast path, and every instance sweeps due deadlines, so an "offline after grace"
 * decision survives the instance that started it (SIGTERM, crash) and is made exactly once.
 */
@Injectable()
export class PresenceService implements PresenceQuery {
  /** The grace period between a user's last socket going and them turning offline. */
  private readonly offline: GraceKind;

  constructor(
    @InjectConnectionStore() private readonly connections: ConnectionStore,
    @InjectPresenceStore() private readonly store: PresenceStore,
    @InjectPresenceSubscriptions() private readonly subscriptions: PresenceSubscriptions,
    private readonly access: AccessService,
    @InjectConfig() private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly realtime: RealtimeService,
    private readonly grace: GracePeriods,
    private readonly webhooks: WebhookOutbox,
  ) {
    this.offline = grace.kind(GOING_OFFLINE, (due) => this.expireDue(due));
  }

  // ---- connections ------------------------------------------------------------------------

  @OnConnection('connect', LISTENER_ORDER.connect.presence)
  async connected(socket: AppSocket, counts: ConnectionCounts): Promise<void> {
    // Read with the socket's rooms (ChatSubscriptions), and taken whatever follows, so no socket keeps it.
    const blockedIds = this.access.takeBlockedAtConnect(socket);
    // Only the user's first socket can change presence; more tabs only change `connections`.
    if (counts.user !== 1) return;
    const user = socket.data.user;
    const { cameOnline, state } = await this.store.connect(user.id);
    // Back within the grace period (their record is still there): the pending offline deadline
    // goes, after the epoch moved, so one taken in between is refused by goOffline anyway. A user
    // who came online has none pending: their record went with the last deadline, and any stale
    // one is refused the same way (and by the open socket `expire` counts).
    if (!cameOnline) await this.offline.cancel(user.id);
    if (!cameOnline || state.status === 'invisible') return;
    await this.publish(user.id, view(user, state, counts.user, null, false), blockedIds);
    // Decided once per going online across instances (the store's epoch), like the publish.
    await this.webhooks.recordNow('user.online', { user });
  }

  @OnConnection('disconnect', LISTENER_ORDER.disconnect.presence)
  async disconnected(socket: DisconnectedSocket, counts: ConnectionCounts): Promise<void> {
    if (counts.user > 0 || this.grace.stopped) return;
    const epoch = await this.store.epoch(socket.userId);
    if (epoch === undefined) return;
    // A dead instance's sockets were gone for up to PRESENCE_TTL_MS already: no more grace.
    await this.offline.start(socket.userId, String(epoch), socket.orphaned ? 0 : this.config.presenceGraceMs);
  }

  /** Users whose offline decision waits on this instance's timers (held here, e.g. for last seen). */
  pendingOfflineIds(): IterableIterator<string> {
    return this.offline.pendingIds();
  }

  /**
   * Grace periods that ended (payload: the presence epoch when the last socket went): those still
   * without a socket go offline, their last seen is written in one statement that also answers
   * who they are (a user deleted meanwhile is not among them: nobody is told they went offline),
   * then they are published.
   */
  private async expireDue(due: readonly DueDeadline[]): Promise<void> {
    const gone = await this.expire(due);
    if (gone.length === 0) return;
    const lastSeenAt = new Date().toISOString();
    for (const user of await this.users.setLastSeen(gone, lastSeenAt)) {
      await this.publish(user.id, view(user, undefined, 0, lastSeenAt, false));
      // Only here, after the grace period with no socket back: a reload or a deploy never gets this far.
      await this.webhooks.recordNow('user.offline', { user: toUser(user), lastSeenAt });
    }
  }

  /**
   * The grace periods ran out: offline unless a socket came back here or on another instance
   * (counted for the whole batch at once; one that comes back after the count moved the epoch,
   * so `goOffline` refuses it). Returns who others are to be told about (an invisible user
   * already looked offline, and their last seen was written then).
   */
  private async expire(due: readonly DueDeadline[]): Promise<string[]> {
    if (this.grace.stopped) return [];
    const open = await this.connections.countByUser(due.map((d) => d.id));
    const gone: string[] = [];
    for (const { id, payload } of due) {
      if (open.has(id)) continue;
      const state = await this.store.goOffline(id, Number(payload));
      if (state !== undefined && state.status !== 'invisible') gone.push(id);
    }
    return gone;
  }

  // ---- client events ----------------------------------------------------------------------

  /** `presence:subscribe`: joins the rooms, answers with the current presence of the targets. */
  async subscribe(socket: AppSocket, target: PresenceTarget): Promise<PresenceUsersResult> {
    requireTarget(target);
    const viewerId = socket.data.user.id;
    // Unknown ids are dropped, so they neither appear in the ack nor take a room.
    const known = await this.users.findByIds(unique(target.userIds));
    const subscribing = { userIds: known.map((u) => u.id), all: target.all };
    const limit = this.config.limits.subscriptionsPerSocket;
    if (this.subscriptions.countAfter(socket, subscribing) > limit) throw AppError.limitReached('presence subscriptions per socket', limit);
    await this.subscriptions.add(socket, subscribing);
    const named = await this.snapshotOf(known, viewerId, target.userIds);
    if (!target.all) return { users: named };
    // The first page of online users only; the rest is paged with presence:list { after: next }.
    const online = await this.onlinePage(viewerId, undefined, PRESENCE_LIST_PAGE_MAX);
    const seen = new Set(online.users.map((p) => p.userId));
    return { ...online, users: online.users.concat(named.filter((p) => !seen.has(p.userId))) };
  }

  async unsubscribe(socket: AppSocket, target: PresenceTarget): Promise<Record<string, never>> {
    requireTarget(target);
    await this.subscriptions.remove(socket, { userIds: unique(target.userIds), all: target.all });
    return {};
  }

  /** `presence:list`: a page of online users, a room's members or the named users. */
  async list(
    viewer: User,
    query: { roomId?: string; userIds?: readonly string[]; after?: string; limit?: number },
  ): Promise<PresenceUsersResult> {
    if (query.roomId !== undefined && query.userIds !== undefined) {
      throw AppError.invalid('Give roomId or userIds, not both', [{ field: 'roomId', errors: ['roomId and userIds cannot be combined'] }]);
    }
    if (query.userIds !== undefined && (query.after !== undefined || query.limit !== undefined)) {
      const field = query.after !== undefined ? 'after' : 'limit';
      throw AppError.invalid('userIds is not paged', [{ field, errors: [`${field} cannot be combined with userIds`] }]);
    }
    if (query.roomId !== undefined) {
      // A page of members (by join time), so the answer never grows with the room.
      const page = await this.access.roomMemberIds(viewer.id, query.roomId, {
        after: query.after,
        limit: query.limit ?? PRESENCE_LIST_PAGE_DEFAULT,
      });
      const users = await this.snapshotOf(await this.users.findByIds(page.ids), viewer.id, page.ids);
      return page.next === undefined ? { users, hasMore: page.hasMore } : { users, hasMore: page.hasMore, next: page.next };
    }
    if (query.userIds !== undefined) {
      const ids = unique(query.userIds);
      return { users: await this.snapshotOf(await this.users.findByIds(ids), viewer.id, ids) };
    }
    return this.onlinePage(viewer.id, query.after, query.limit ?? PRESENCE_LIST_PAGE_DEFAULT);
  }

  /** `presence:set`: one status and text for all of the user's sessions; answers their true presence. */
  async set(socket: AppSocket, status: SettableStatus, statusText?: string): Promise<Presence> {
    const user = socket.data.user;
    const text = statusText?.trim();
    const { previous, current } = await this.store.update(user.id, text ? { status, statusText: text } : { status });
    const connections = (await this.connections.countByUser([user.id])).get(user.id) ?? 0;
    const before = previous && view(user, previous, connections, null, false);
    let after = view(user, current, connections, null, false);
    if (!samePresence(before, after)) {
      if (after.status === 'offline') {
        // Going invisible looks like leaving: others see "last seen now", also after a restart.
        const lastSeenAt = new Date().toISOString();
        await this.users.setLastSeen([user.id], lastSeenAt);
        after = view(user, undefined, 0, lastSeenAt, false);
      }
      await this.publish(user.id, after);
    }
    const own = view(user, current, connections, null, true);
    if (!previous || !sameState(previous, current)) {
      // The user's other tabs show the shared status; the caller has it in the ack.
      this.realtime.emit(rooms.user(user.id), 'presence:update', own, socket.id);
    }
    return own;
  }

  // ---- PresenceQuery ----------------------------------------------------------------------

  async presenceOf(users: readonly User[], viewerId: string): Promise<Map<string, Presence>> {
    const list = await this.snapshotOf(
      users,
      viewerId,
      users.map((u) => u.id),
    );
    return new Map(list.map((p) => [p.userId, p]));
  }

  async invisibleAmong(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const states = await this.store.get(unique(userIds));
    return new Set([...states].filter(([, state]) => state.status === 'invisible').map(([id]) => id));
  }

  // ---- helpers ----------------------------------------------------------------------------

  /**
   * To every subscriber of the user except the user's own sockets (they see their true state) and
   * the users they blocked (to whom they always look offline): `blockedIds` when the caller has
   * just read them, else read now.
   */
  private async publish(userId: string, presence: Presence, blockedIds?: readonly string[]): Promise<void> {
    const blocked = blockedIds ?? (await this.access.blockedBy(userId));
    const except = [rooms.user(userId), ...blocked.map(rooms.user)];
    this.realtime.emit([presenceRooms.user(userId), presenceRooms.all], 'presence:update', presence, except);
  }

  /** Presence of `users` as `viewerId` sees it, in the order of `order`. */
  private async snapshotOf(
    users: readonly (Named & { last_seen_at?: string | null })[],
    viewerId: string,
    order: readonly string[],
  ): Promise<Presence[]> {
    if (users.length === 0) return [];
    const ids = users.map((u) => u.id);
    const needLastSeen = users.some((u) => u.last_seen_at === undefined);
    const [states, counts, rows, blockers] = await Promise.all([
      this.store.get(ids),
      this.connections.countByUser(ids),
      needLastSeen ? this.users.findByIds(ids) : Promise.resolve([]),
      this.access.blockersAmong(viewerId, ids),
    ]);
    const lastSeen = new Map<string, string | null>(rows.map((r) => [r.id, r.last_seen_at]));
    const byId = new Map<string, Presence>();
    for (const user of users) {
      const seen = user.last_seen_at !== undefined ? user.last_seen_at : (lastSeen.get(user.id) ?? null);
      // A user who blocked the viewer looks offline to them, with no last seen to watch either.
      if (blockers.has(user.id)) byId.set(user.id, view(user, undefined, 0, null, false));
      else byId.set(user.id, view(user, states.get(user.id), counts.get(user.id) ?? 0, seen, user.id === viewerId));
    }
    const result: Presence[] = [];
    for (const id of unique(order)) {
      const presence = byId.get(id);
      if (presence) result.push(presence);
    }
    return result;
  }

  /**
   * One page of the online users (ordered by id) as the viewer may see them: others' invisible
   * users are left out, so a page can be shorter than `limit` and still have more after it.
   * Only the page's users are read from the store and the database.
   */
  private async onlinePage(viewerId: string, after: string | undefined, limit: number): Promise<PresenceUsersResult> {
    const page = await this.store.userIdsPage(after, limit);
    const rows = await this.users.findByIds(page.ids);
    const users = (await this.snapshotOf(rows, viewerId, page.ids)).filter((p) => p.status !== 'offline');
    return page.hasMore ? { users, hasMore: true, next: page.ids[page.ids.length - 1] } : { users, hasMore: false };
  }
}

/**
 * The presence one viewer sees. `state` undefined means offline; an invisible user is offline
 * to everybody but themselves, who see `online` with `invisible: true`.
 */
export function view(
  user: Named,
  state: PresenceState | undefined,
  connections: number,
  lastSeenAt: string | null,
  self: boolean,
): Presence {
  if (!state || (state.status === 'invisible' && !self)) {
    const offline: Presence = { userId: user.id, username: user.username, status: 'offline', connections: 0 };
    if (lastSeenAt) offline.lastSeenAt = lastSeenAt;
    return offline;
  }
  const presence: Presence = {
    userId: user.id,
    username: user.username,
    status: state.status === 'invisible' ? 'online' : state.status,
    connections,
  };
  if (state.statusText) presence.statusText = state.statusText;
  if (state.status === 'invisible') presence.invisible = true;
  return presence;
}

/** Whether a subscriber would notice a difference (connections alone are not a change). */
function samePresence(a: Presence | undefined, b: Presence): boolean {
  const before = a ?? { status: 'offline' };
  return before.status === b.status && (before as Presence).statusText === b.statusText;
}

function sameState(a: PresenceState, b: PresenceState): boolean {
  return a.status === b.status && a.statusText === b.statusText;
}

function requireTarget(target: PresenceTarget): void {
  if (!target.all && target.userIds.length === 0) {
    throw AppError.invalid('Give userIds or all: true', [{ field: 'userIds', errors: ['userIds must not be empty unless all is true'] }]);
  }
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
