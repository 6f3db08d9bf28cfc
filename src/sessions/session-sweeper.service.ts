import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task';
import type { DisconnectedSocket } from '../realtime/connections/connection-lifecycle';
import { InjectConnectionStore, type ConnectionCounts, type ConnectionStore } from '../realtime/connections/connection-store';
import { LISTENER_ORDER } from '../realtime/connections/listener-order';
import { OnConnection } from '../realtime/connections/on-connection.decorator';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** How often sessions past SESSION_TTL_DAYS are looked for, and how soon after start the first time. */
export const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
export const FIRST_SWEEP_MS = 30 * 1000;
/** Sessions looked at per step (one indexed range read, a registry lookup each, one delete). */
const BATCH = 500;

/**
 * Session expiry.
 * - A session's last use is recorded when its last socket goes (the resume is recorded by the
 *   handshake), so `last_seen_at` says when it was last in use.
 * - Every hour (and shortly after start) sessions unused for SESSION_TTL_DAYS are deleted, in
 *   batches, unless the connection registry still has a socket on them (a tab connected for that
 *   long). One sweep at a time; shutdown stops it between batches and waits for it.
 */
@Injectable()
export class SessionSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SessionSweeper.name);
  private readonly task: PeriodicTask;
  private deleted = 0;

  constructor(
    private readonly repository: SessionsRepository,
    private readonly sessions: SessionsService,
    @InjectConnectionStore() private readonly connections: ConnectionStore,
  ) {
    this.task = new PeriodicTask(
      { name: 'session sweep', intervalMs: SWEEP_INTERVAL_MS, firstDelayMs: FIRST_SWEEP_MS, logger: this.logger },
      (stopped) => this.run(stopped),
    );
  }

  @OnConnection('disconnect', LISTENER_ORDER.disconnect.sessionLastUse)
  lastUse(socket: DisconnectedSocket, counts: ConnectionCounts): void {
    if (counts.session > 0) return;
    // Not awaited: the other listeners (presence, modals) need not wait for this commit.
    this.sessions.left(socket.sessionId).catch((error: unknown) => {
      this.logger.warn({ err: error, sessionId: socket.sessionId }, 'could not record the session as last used now');
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  /** Sweeps now (or joins the sweep in progress); resolves with how many sessions it deleted. */
  async sweep(): Promise<number> {
    const before = this.deleted;
    await this.task.runNow();
    return this.deleted - before;
  }

  private async run(stopped: () => boolean): Promise<void> {
    const cutoff = this.repository.expiryCutoff(new Date());
    let deleted = 0;
    let after: { id: string; last_seen_at: string } | undefined;
    while (!stopped()) {
      const batch = await this.repository.findExpired(cutoff, BATCH, after);
      const open = await Promise.all(batch.map((row) => this.connections.countBySession(row.id)));
      deleted += await this.repository.deleteExpired(
        batch.filter((_, i) => open[i] === 0).map((row) => row.id),
        cutoff,
      );
      if (batch.length < BATCH) break;
      after = batch[batch.length - 1];
      // Let handshakes and sends in between the batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.deleted += deleted;
    if (deleted > 0) this.logger.log(`deleted ${deleted} session(s) unused since before ${cutoff}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }
}
