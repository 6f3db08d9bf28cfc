import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { sql, type Selectable } from 'kysely';
import type { Webhook } from 'standardwebhooks';
import { PeriodicTask } from '../common/periodic-task';
import { InjectConfig, type AppConfig } from '../config/config.module';
import type { Db } from '../storage/database';
import type { WebhookOutboxTable } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookOutbox } from './webhook-outbox';
import { signedHeaders, webhookSigner } from './webhook-signer';

type OutboxRow = Selectable<WebhookOutboxTable>;

/** Deliveries claimed (and sent concurrently) per round. */
const BATCH = 32;

/**
 * Sends the outbox. Every instance runs it: a round claims due rows by moving their
 * `next_attempt_at` past the delivery timeout (a lease), on PostgreSQL with `FOR UPDATE SKIP
 * LOCKED` so two instances never claim the same row; SQLite has one writer (one instance). A 2xx
 * deletes the row; anything else schedules a retry (doubling from WEBHOOK_RETRY_MIN_MS up to
 * WEBHOOK_RETRY_MAX_MS) until WEBHOOK_RETRY_HOURS after the event, when it is dropped. An
 * instance that dies mid-delivery leaves the lease to run out: the row is sent again (at least
 * once; receivers dedupe on `webhook-id`).
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly postgres: boolean;
  private readonly signer?: Webhook;
  private readonly task: PeriodicTask;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDb() private readonly db: Db,
    private readonly metrics: WebhookMetrics,
    outbox: WebhookOutbox,
  ) {
    this.postgres = config.database.kind === 'postgres';
    const { urls, secret } = config.webhooks;
    if (urls.length && secret) this.signer = webhookSigner(secret);
    this.task = new PeriodicTask(
      { name: 'webhook delivery', intervalMs: config.webhooks.pollMs, firstDelayMs: 0, logger: this.logger },
      (stopped) => this.deliverDue(stopped),
    );
    outbox.onRecorded(() => void this.task.runNow());
  }

  onApplicationBootstrap(): void {
    if (this.signer) this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** Rounds until fewer than a batch were due. */
  private async deliverDue(stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const rows = await this.claim();
      await Promise.all(rows.map((row) => this.deliver(row)));
      if (rows.length < BATCH) return;
    }
  }

  private async claim(): Promise<OutboxRow[]> {
    const now = new Date();
    const { timeoutMs } = this.config.webhooks;
    const lease = new Date(now.getTime() + timeoutMs + Math.min(timeoutMs, 5000)).toISOString();
    const due = sql`select id from webhook_outbox where next_attempt_at <= ${now.toISOString()} order by next_attempt_at limit ${BATCH}`;
    const locked = this.postgres ? sql`${due} for update skip locked` : due;
    const { rows } = await sql<OutboxRow>`
      update webhook_outbox set next_attempt_at = ${lease}, attempts = attempts + 1
      where id in (${locked}) returning *`.execute(this.db);
    return rows;
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const failure = await this.send(row);
    if (failure === undefined) {
      this.metrics.attempts.inc({ type: row.type, outcome: 'ok' });
      this.metrics.lag.observe({ type: row.type }, (Date.now() - Date.parse(row.created_at)) / 1000);
      await this.db.deleteFrom('webhook_outbox').where('id', '=', row.id).execute();
      return;
    }
    this.metrics.attempts.inc({ type: row.type, outcome: 'failed' });
    this.metrics.failures.inc({ reason: failure });
    const { retryMinMs, retryMaxMs, retryHours } = this.config.webhooks;
    const delay = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(Number(row.attempts) - 1, 30));
    const next = Date.now() + delay;
    if (next > Date.parse(row.created_at) + retryHours * 3_600_000) {
      this.metrics.dropped.inc({ type: row.type });
      this.logger.warn(`webhook ${row.event_id} (${row.type}) to ${row.url} dropped after ${row.attempts} attempts: ${failure}`);
      await this.db.deleteFrom('webhook_outbox').where('id', '=', row.id).execute();
      return;
    }
    await this.db
      .updateTable('webhook_outbox')
      .set({ next_attempt_at: new Date(next).toISOString(), last_error: failure.slice(0, 255) })
      .where('id', '=', row.id)
      .execute();
  }

  /** Undefined on a 2xx; otherwise why it failed (`status 503`, `timeout`, `network`). */
  private async send(row: OutboxRow): Promise<string | undefined> {
    try {
      const response = await fetch(row.url, {
        method: 'POST',
        headers: signedHeaders(this.signer!, row.event_id, row.body),
        body: row.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.webhooks.timeoutMs),
      });
      // The body is not needed; reading it frees the connection for reuse.
      await response.arrayBuffer().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? undefined : `status ${response.status}`;
    } catch (error) {
      return error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network';
    }
  }
}
