import { Injectable } from '@nestjs/common';
import type {
  ModalCloseResult,
  ModalClosedEvent,
  ModalListResult,
  ModalLockEvent,
  ModalState,
  ModalWatchResult,
  User,
  Viewer,
} from '../contracts';
import { InjectPresenceQuery, type PresenceQuery } from '../access/presence-query';
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
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { modalRooms } from './modal-rooms';
import {
  InjectModalStore,
  type LockChange,
  type ModalCap,
  type ModalCaps,
  type ModalStore,
  type Released,
  type SessionWatches,
} from './modal.store';

/** GraceDeadlines kind of the detached sessions with modals or watches (payload: the detach token). */
const RELEASING = 'modals';
/** Most modals one `modal:watch` answer (or the watched part of `modal:state`) holds. */
export const MODAL_WATCH_ANSWER_MAX = 500;

const CAP_NAMES: Record<ModalCap, string> = {
  session: 'open modals per session',
  user: 'open modals per user',
  exclusive: 'exclusive modals per user',
};

/** The session (tab) that acts: viewers are sessions, not users. */
export interface ModalActor {
  user: Pick<User, 'id' | 'username'>;
  sessionId: string;
}

/**
 * "Who has which modal open" and who holds its exclusive lock. Viewers are sessions; a session
 * keeps its modals and watches through a reconnect inside PRESENCE_GRACE_MS and loses them
 * (reason `disconnected`) after it. The release after the grace period is a GracePeriods kind like
 * presence's offline decision, so a terminated instance's pending releases still happen, once.
 *
 * Modal events go to the sockets watching the modal (by id or by prefix, see `modal-rooms.ts`) and
 * to the acting user's own sockets, never to everybody: their cost grows with the watchers.
 * A viewer who is invisible is seen by nobody else: their opens, closes, locks and requests go to
 * their own sockets only, lists leave them out, and a conflict they cause names no holder.
 */
@Injectable()
export class ModalsService {
  /** The grace period between a session's last socket going and its modals being released. */
  private readonly releasing: GraceKind;
  private readonly caps: ModalCaps;

  constructor(
    @InjectModalStore() private readonly store: ModalStore,
    @InjectConnectionStore() private readonly connections: ConnectionStore,
    @InjectPresenceQuery() private readonly presence: PresenceQuery,
    @InjectConfig() private readonly config: AppConfig,
    private readonly realtime: RealtimeService,
    private readonly grace: GracePeriods,
    private readonly webhooks: WebhookOutbox,
  ) {
    this.releasing = grace.kind(RELEASING, (due) => this.releaseDue(due));
    const { openModalsPerSession, openModalsPerUser, exclusiveModalsPerUser } = config.limits;
    this.caps = { perSession: openModalsPerSession, perUser: openModalsPerUser, exclusivePerUser: exclusiveModalsPerUser };
  }

  /**
   * The caps (MAX_OPEN_MODALS per session, MAX_OPEN_MODALS_PER_USER, MAX_EXCLUSIVE_MODALS_PER_USER)
   * are decided by the store in the same atomic step as the add: a check here first would let
   * concurrent opens from several sockets, sessions or instances all pass it.
   */
  async open(actor: ModalActor, modalId: string, exclusive: boolean): Promise<ModalState> {
    const viewer = { userId: actor.user.id, username: actor.user.username, sessionId: actor.sessionId, exclusive };
    const result = await this.store.open(modalId, { ...viewer, openedAt: new Date().toISOString() }, this.caps);
    if (result.outcome === 'conflict') {
      if ((await this.presence.invisibleAmong([result.holder.userId])).size > 0) {
        throw AppError.of('MODAL_HELD', { hidden: true }, 'Someone has this modal open');
      }
      throw AppError.of('MODAL_HELD', { holder: result.holder }, `${result.holder.username} has this modal open`);
    }
    if (result.outcome === 'limit') throw AppError.limitReached(CAP_NAMES[result.cap], result.limit);
    if (result.outcome === 'opened') {
      const hidden = await this.isInvisible(actor.user.id);
      this.announce(modalId, [actor.user.id], hidden, 'modal:opened', { modalId, viewer: result.viewer });
      if (result.lock) this.announceLock(modalId, result.lock, [actor.user.id], hidden);
      // The app's backend hears of every open, invisible viewers included (like GET /server/v1/modals/:id).
      await this.webhooks.recordNow('modal.opened', { modalId, viewer: result.viewer });
    }
    return (await this.visible([result.state], actor.user.id))[0] ?? { modalId, viewers: [] };
  }

  async close(actor: ModalActor, modalId: string): Promise<ModalCloseResult> {
    const released = await this.store.close(modalId, actor.sessionId);
    if (!released) throw AppError.of('MODAL_NOT_OPEN');
    await this.announceReleased([released], 'closed');
    return { modalId };
  }

  /**
   * One modal, or (as 0.1 did, but bounded) the first MODAL_WATCH_ANSWER_MAX open modals by first
   * opening with `hasMore`; without the viewers invisible to the caller.
   */
  async list(viewerId: string, modalId?: string): Promise<ModalListResult> {
    if (modalId !== undefined) return { modals: await this.visible(await this.store.list(modalId), viewerId) };
    const page = await this.store.list(undefined, MODAL_WATCH_ANSWER_MAX + 1);
    const modals = await this.visible(page.slice(0, MODAL_WATCH_ANSWER_MAX), viewerId);
    return { modals, hasMore: page.length > MODAL_WATCH_ANSWER_MAX };
  }

  /** The state of one modal with its lock, for the app's backend (`GET /server/v1/modals/:id`): invisible viewers included. */
  async describe(modalId: string): Promise<ModalState> {
    return (await this.store.list(modalId))[0] ?? { modalId, viewers: [] };
  }

  // ---- watches ----------------------------------------------------------------------------

  /** Joins the watch rooms (capped per socket), keeps them with the session, answers what is open. */
  async watch(socket: AppSocket, target: SessionWatches): Promise<ModalWatchResult> {
    const watches = requireTarget(target);
    const wanted = watchRooms(watches);
    const limit = this.config.limits.modalWatchesPerSocket;
    const adding = wanted.filter((room) => !socket.rooms.has(room)).length;
    if (countWatchRooms(socket) + adding > limit) throw AppError.limitReached('modal watches per socket', limit);
    // The socket is local to the instance handling its event: a plain join, reached through the adapter.
    await socket.join(wanted);
    await this.store.watch(socket.data.sessionId, watches);
    return this.watched(watches, socket.data.user.id);
  }

  async unwatch(socket: AppSocket, target: SessionWatches): Promise<Record<string, never>> {
    const watches = requireTarget(target);
    for (const room of watchRooms(watches)) await socket.leave(room);
    await this.store.unwatch(socket.data.sessionId, watches);
    return {};
  }

  // ---- locks ------------------------------------------------------------------------------

  /** Asks the exclusive holder to hand over: the holder's sockets (and the watchers) get `modal:lock` with `requestedBy`. */
  async request(actor: ModalActor, modalId: string): Promise<Record<string, never>> {
    const result = await this.store.request(modalId, { userId: actor.user.id, username: actor.user.username, sessionId: actor.sessionId });
    if (result.outcome === 'not-held') throw AppError.of('MODAL_NOT_HELD');
    const { holder, fencingToken } = result;
    const event: ModalLockEvent = { modalId, holder, fencingToken, requestedBy: { id: actor.user.id, username: actor.user.username } };
    // The holder always learns who asks (they hand over by user id); nobody else sees an invisible party.
    const hidden = (await this.presence.invisibleAmong([holder.userId, actor.user.id])).size > 0;
    this.announce(modalId, [holder.userId, actor.user.id], hidden, 'modal:lock', event);
    return {};
  }

  /** The holder session gives the lock up, to `to` (who asked for it) or to nobody. */
  async release(actor: ModalActor, modalId: string, to?: string): Promise<Record<string, never>> {
    const result = await this.store.release(modalId, actor.sessionId, to, this.caps, new Date().toISOString());
    if (result.outcome === 'not-holder') throw AppError.of('MODAL_NOT_HOLDER');
    if (result.outcome === 'no-request') throw AppError.of('MODAL_NO_REQUEST');
    if (result.outcome === 'limit') throw AppError.limitReached(CAP_NAMES[result.cap], result.limit);
    const users = unique([actor.user.id, ...result.changed.map((v) => v.userId)]);
    const hidden = (await this.presence.invisibleAmong(users)).size > 0;
    for (const viewer of result.changed) this.announce(modalId, [viewer.userId], hidden, 'modal:opened', { modalId, viewer });
    this.announceLock(modalId, result.lock, users, hidden);
    const taker = result.lock.holder;
    // A requester whose session went meanwhile would otherwise hold it for good: released like any detached session.
    if (taker && (await this.connections.countBySession(taker.sessionId)) === 0) await this.detachAndRelease(taker.sessionId, 0);
    return {};
  }

  // ---- connections ------------------------------------------------------------------------

  /**
   * The snapshot right after `session`: the modals this user has open and, for a resumed
   * session, those it watches (whose rooms this socket joins again).
   */
  @OnConnection('connect', LISTENER_ORDER.connect.modals)
  async connected(socket: AppSocket, counts: ConnectionCounts): Promise<void> {
    const { sessionId, resumed, user } = socket.data;
    if (resumed && counts.session === 1) {
      await this.store.attach(sessionId);
      await this.releasing.cancel(sessionId);
    }
    const own = await this.store.listByUser(user.id);
    let modals = own;
    if (resumed) {
      const watches = await this.store.watches(sessionId);
      const wanted = watchRooms(watches).slice(0, this.config.limits.modalWatchesPerSocket);
      if (wanted.length) {
        await socket.join(wanted);
        const seen = new Set(own.map((m) => m.modalId));
        modals = own.concat((await this.watched(watches, user.id)).modals.filter((m) => !seen.has(m.modalId)));
      }
    }
    // A reply to this one socket, like `session`; fan-out goes through RealtimeService.
    socket.emit('modal:state', { modals: await this.visible(modals, user.id) });
  }

  @OnConnection('disconnect', LISTENER_ORDER.disconnect.modals)
  async disconnected(socket: DisconnectedSocket, counts: ConnectionCounts): Promise<void> {
    if (counts.session > 0 || this.grace.stopped) return;
    // A dead instance's sessions were gone for up to PRESENCE_TTL_MS already: no more grace.
    await this.detachAndRelease(socket.sessionId, socket.orphaned ? 0 : this.config.presenceGraceMs);
  }

  private async detachAndRelease(sessionId: string, afterMs: number): Promise<void> {
    const token = await this.store.detach(sessionId);
    if (token !== undefined) await this.releasing.start(sessionId, token, afterMs);
  }

  /** Grace periods that ended (payload: the detach token). */
  private async releaseDue(due: readonly DueDeadline[]): Promise<void> {
    for (const { id, payload } of due) await this.releaseSession(id, payload);
  }

  private async releaseSession(sessionId: string, token: string): Promise<void> {
    if (this.grace.stopped) return;
    // A socket of the session may be open on another instance that has not attached yet.
    if ((await this.connections.countBySession(sessionId)) > 0) return;
    await this.announceReleased(await this.store.releaseDetached(sessionId, token), 'disconnected');
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** The open modals among the watches: named ids first, then each prefix's by id; at most MODAL_WATCH_ANSWER_MAX. */
  private async watched(watches: SessionWatches, viewerId: string): Promise<ModalWatchResult> {
    const modals = await this.store.listMany(watches.modalIds.slice(0, MODAL_WATCH_ANSWER_MAX));
    const seen = new Set(modals.map((m) => m.modalId));
    let hasMore = watches.modalIds.length > MODAL_WATCH_ANSWER_MAX;
    for (const prefix of watches.prefixes) {
      const room = MODAL_WATCH_ANSWER_MAX - modals.length;
      if (room <= 0) {
        hasMore = true;
        break;
      }
      const page = await this.store.listByPrefix(prefix, room);
      hasMore ||= page.hasMore;
      for (const m of page.modals) {
        if (seen.has(m.modalId)) continue;
        seen.add(m.modalId);
        modals.push(m);
      }
    }
    return { modals: await this.visible(modals, viewerId), hasMore };
  }

  /** The states as `viewerId` may see them: other users' invisible viewers (and their lock) left out, empty modals dropped. */
  private async visible(states: ModalState[], viewerId: string): Promise<ModalState[]> {
    const hidden = await this.presence.invisibleAmong(unique(states.flatMap((s) => s.viewers.map((v) => v.userId))));
    hidden.delete(viewerId);
    if (hidden.size === 0) return states;
    const shown = (v: Viewer) => !hidden.has(v.userId);
    return states.flatMap((s) => {
      const viewers = s.viewers.filter(shown);
      if (viewers.length === 0) return [];
      return [s.lock && shown(s.lock.holder) ? { ...s, viewers } : { modalId: s.modalId, viewers }];
    });
  }

  private async isInvisible(userId: string): Promise<boolean> {
    return (await this.presence.invisibleAmong([userId])).size > 0;
  }

  /** To the modal's watchers and the users' own sockets; only to the latter when someone involved is invisible. */
  private announce<E extends 'modal:opened' | 'modal:closed' | 'modal:lock'>(
    modalId: string,
    userIds: readonly string[],
    hidden: boolean,
    event: E,
    payload: E extends 'modal:opened' ? { modalId: string; viewer: Viewer } : E extends 'modal:closed' ? ModalClosedEvent : ModalLockEvent,
  ): void {
    const own = unique(userIds).map(rooms.user);
    this.realtime.emit(hidden ? own : own.concat(modalRooms.watching(modalId)), event, payload as never);
  }

  private announceLock(modalId: string, lock: LockChange, userIds: readonly string[], hidden: boolean): void {
    const event: ModalLockEvent = { modalId, fencingToken: lock.fencingToken };
    if (lock.holder) event.holder = lock.holder;
    this.announce(modalId, lock.holder ? [...userIds, lock.holder.userId] : userIds, hidden, 'modal:lock', event);
  }

  private async announceReleased(released: readonly Released[], reason: ModalClosedEvent['reason']): Promise<void> {
    if (released.length === 0) return;
    const users = unique(released.flatMap((r) => [r.viewer.userId, ...(r.lock?.holder ? [r.lock.holder.userId] : [])]));
    const invisible = await this.presence.invisibleAmong(users);
    for (const { modalId, viewer, lock } of released) {
      const hidden = invisible.has(viewer.userId) || (lock?.holder !== undefined && invisible.has(lock.holder.userId));
      this.announce(modalId, [viewer.userId], invisible.has(viewer.userId), 'modal:closed', {
        modalId,
        userId: viewer.userId,
        sessionId: viewer.sessionId,
        reason,
      });
      if (lock) this.announceLock(modalId, lock, [viewer.userId], hidden);
      await this.webhooks.recordNow('modal.closed', { modalId, userId: viewer.userId, sessionId: viewer.sessionId, reason });
    }
  }
}

function watchRooms({ modalIds, prefixes }: SessionWatches): string[] {
  return modalIds.map(modalRooms.id).concat(prefixes.map(modalRooms.prefix));
}

function countWatchRooms(socket: AppSocket): number {
  let count = 0;
  for (const room of socket.rooms) if (modalRooms.isWatchRoom(room)) count += 1;
  return count;
}

function requireTarget(target: Partial<SessionWatches>): SessionWatches {
  const watches = { modalIds: unique(target.modalIds ?? []), prefixes: unique(target.prefixes ?? []) };
  if (watches.modalIds.length === 0 && watches.prefixes.length === 0) {
    throw AppError.invalid('Give modalIds or prefixes', [{ field: 'modalIds', errors: ['modalIds or prefixes must not be empty'] }]);
  }
  return watches;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
