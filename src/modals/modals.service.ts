import { Injectable } from '@nestjs/common';
import type { ModalCloseResult, ModalClosedEvent, ModalListResult, ModalState, User, Viewer } from '../contracts';
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
import { InjectModalStore, type ModalCap, type ModalCaps, type ModalStore, type Released } from './modal.store';

/** GraceDeadlines kind of the detached sessions with modals (payload: the detach token). */
const RELEASING = 'modals';

const CAP_NAMES: Record<ModalCap, string> = {
  session: 'open modals per session',
  user: 'open modals per user',
  exclusive: 'exclusive modals per user',
};

/** The session (tab) that acts: viewers are sessions, not users. */
export interface ModalDescription extends ModalState {
  lock?: { holder: Viewer };
}

export interface ModalActor {
  user: Pick<User, 'id' | 'username'>;
  sessionId: string;
}

/**
 * "Who has which modal open". Viewers are sessions; a session keeps its modals through a
 * reconnect inside PRESENCE_GRACE_MS and loses them (reason `disconnected`) after it.
 * `modal:opened` / `modal:closed` go to every connected socket (room `rooms.everyone`).
 * The release after the grace period is a GracePeriods kind like presence's offline decision, so
 * a terminated instance's pending releases still happen, once, on time.
 */
@Injectable()
export class ModalsService {
  /** The grace period between a session's last socket going and its modals being released. */
  private readonly releasing: GraceKind;
  private readonly caps: ModalCaps;

  constructor(
    @InjectModalStore() private readonly store: ModalStore,
    @InjectConnectionStore() private readonly connections: ConnectionStore,
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
      throw AppError.of('MODAL_HELD', { holder: result.holder }, `${result.holder.username} has this modal open`);
    }
    if (result.outcome === 'limit') throw AppError.limitReached(CAP_NAMES[result.cap], result.limit);
    if (result.outcome === 'opened') {
      this.realtime.emit(rooms.everyone, 'modal:opened', { modalId, viewer: result.viewer });
      await this.webhooks.recordNow('modal.opened', { modalId, viewer: result.viewer });
    }
    return result.state;
  }

  async close(actor: ModalActor, modalId: string): Promise<ModalCloseResult> {
    const released = await this.store.close(modalId, actor.sessionId);
    if (!released) throw AppError.of('MODAL_NOT_OPEN');
    await this.announceClosed(released, 'closed');
    return { modalId };
  }

  /**
   * One modal as the server API shows it: its viewers, and `lock` while a viewer holds it
   * exclusively (the holder; fencing tokens are not part of the store yet).
   */
  async describe(modalId: string): Promise<ModalDescription> {
    const viewers = (await this.store.list(modalId))[0]?.viewers ?? [];
    const holder = viewers.find((v) => v.exclusive);
    return holder ? { modalId, viewers, lock: { holder } } : { modalId, viewers };
  }

  async list(modalId?: string): Promise<ModalListResult> {
    return { modals: await this.store.list(modalId) };
  }

  // ---- connections ------------------------------------------------------------------------

  /** The snapshot right after `session`; a resumed session also keeps its modals. */
  @OnConnection('connect', LISTENER_ORDER.connect.modals)
  async connected(socket: AppSocket, counts: ConnectionCounts): Promise<void> {
    const { sessionId, resumed } = socket.data;
    if (resumed && counts.session === 1) {
      await this.store.attach(sessionId);
      await this.releasing.cancel(sessionId);
    }
    // A reply to this one socket, like `session`; fan-out goes through RealtimeService.
    socket.emit('modal:state', { modals: await this.store.list() });
  }

  @OnConnection('disconnect', LISTENER_ORDER.disconnect.modals)
  async disconnected(socket: DisconnectedSocket, counts: ConnectionCounts): Promise<void> {
    if (counts.session > 0 || this.grace.stopped) return;
    const token = await this.store.detach(socket.sessionId);
    if (token === undefined) return;
    // A dead instance's sessions were gone for up to PRESENCE_TTL_MS already: no more grace.
    await this.releasing.start(socket.sessionId, token, socket.orphaned ? 0 : this.config.presenceGraceMs);
  }

  /** Grace periods that ended (payload: the detach token). */
  private async releaseDue(due: readonly DueDeadline[]): Promise<void> {
    for (const { id, payload } of due) await this.release(id, payload);
  }

  private async release(sessionId: string, token: string): Promise<void> {
    if (this.grace.stopped) return;
    // A socket of the session may be open on another instance that has not attached yet.
    if ((await this.connections.countBySession(sessionId)) > 0) return;
    for (const released of await this.store.releaseDetached(sessionId, token)) await this.announceClosed(released, 'disconnected');
  }

  private async announceClosed({ modalId, viewer }: Released, reason: ModalClosedEvent['reason']): Promise<void> {
    const closed = { modalId, userId: viewer.userId, sessionId: viewer.sessionId, reason };
    this.realtime.emit(rooms.everyone, 'modal:closed', closed);
    await this.webhooks.recordNow('modal.closed', closed);
  }
}
