import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ModalCloseResult, ModalClosedEvent, ModalListResult, ModalState, User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { rooms } from '../common/ws/rooms';
import { RealtimeService } from '../common/ws/realtime.service';
import type { AppSocket } from '../common/ws/socket.types';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { ConnectionLifecycle, type ConnectionListener, type DisconnectedSocket } from '../sessions/connection-lifecycle';
import { InjectConnectionStore, type ConnectionCounts, type ConnectionStore } from '../sessions/connection-store';
import { InjectModalStore, type ModalStore, type Released } from './modal.store';

/** The session (tab) that acts: viewers are sessions, not users. */
export interface ModalActor {
  user: Pick<User, 'id' | 'username'>;
  sessionId: string;
}

/**
 * "Who has which modal open". Viewers are sessions; a session keeps its modals through a
 * reconnect inside PRESENCE_GRACE_MS and loses them (reason `disconnected`) after it.
 * `modal:opened` / `modal:closed` go to every connected socket (room `rooms.everyone`).
 */
@Injectable()
export class ModalsService implements ConnectionListener, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ModalsService.name);
  /** Release timers per disconnected session with modals; local by nature, re-checked on fire. */
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    @InjectModalStore() private readonly store: ModalStore,
    @InjectConnectionStore() private readonly connections: ConnectionStore,
    @InjectConfig() private readonly config: AppConfig,
    private readonly realtime: RealtimeService,
    private readonly lifecycle: ConnectionLifecycle,
  ) {}

  onModuleInit(): void {
    this.lifecycle.register(this);
  }

  async open(actor: ModalActor, modalId: string, exclusive: boolean): Promise<ModalState> {
    // Per-user/per-session caps on open modals belong here (store.countBySession), before `open`.
    const result = await this.store.open(modalId, {
      userId: actor.user.id,
      username: actor.user.username,
      sessionId: actor.sessionId,
      exclusive,
      openedAt: new Date().toISOString(),
    });
    if (result.outcome === 'conflict') {
      throw AppError.conflict(`${result.holder.username} has this modal open`, { holder: result.holder });
    }
    if (result.outcome === 'opened') this.realtime.emit(rooms.everyone, 'modal:opened', { modalId, viewer: result.viewer });
    return result.state;
  }

  async close(actor: ModalActor, modalId: string): Promise<ModalCloseResult> {
    const released = await this.store.close(modalId, actor.sessionId);
    if (!released) throw AppError.notFound('This session does not have that modal open');
    this.announceClosed(released, 'closed');
    return { modalId };
  }

  async list(modalId?: string): Promise<ModalListResult> {
    return { modals: await this.store.list(modalId) };
  }

  // ---- connections ------------------------------------------------------------------------

  /** The snapshot right after `session`; a resumed session also keeps its modals. */
  async onConnect(socket: AppSocket, counts: ConnectionCounts): Promise<void> {
    const { sessionId, resumed } = socket.data;
    if (resumed && counts.session === 1) {
      this.clearGrace(sessionId);
      await this.store.attach(sessionId);
    }
    // A reply to this one socket, like `session`; fan-out goes through RealtimeService.
    socket.emit('modal:state', { modals: await this.store.list() });
  }

  async onDisconnect(socket: DisconnectedSocket, counts: ConnectionCounts): Promise<void> {
    if (counts.session > 0 || this.stopped) return;
    const { sessionId } = socket;
    const token = await this.store.detach(sessionId);
    if (token === undefined || this.stopped) return;
    this.clearGrace(sessionId);
    const timer = setTimeout(() => {
      this.graceTimers.delete(sessionId);
      this.release(sessionId, token).catch((err: unknown) => this.logger.error({ err, sessionId }, 'modal release failed'));
    }, this.config.presenceGraceMs);
    timer.unref();
    this.graceTimers.set(sessionId, timer);
  }

  private async release(sessionId: string, token: string): Promise<void> {
    if (this.stopped) return;
    // A socket of the session may be open on another instance that has not attached yet.
    if ((await this.connections.countBySession(sessionId)) > 0) return;
    for (const released of await this.store.releaseDetached(sessionId, token)) this.announceClosed(released, 'disconnected');
  }

  private announceClosed({ modalId, viewer }: Released, reason: ModalClosedEvent['reason']): void {
    this.realtime.emit(rooms.everyone, 'modal:closed', { modalId, userId: viewer.userId, sessionId: viewer.sessionId, reason });
  }

  private clearGrace(sessionId: string): void {
    const timer = this.graceTimers.get(sessionId);
    if (!timer) return;
    clearTimeout(timer);
    this.graceTimers.delete(sessionId);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }
}
