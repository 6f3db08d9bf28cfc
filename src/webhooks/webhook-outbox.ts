import { Injectable, Logger } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { WebhookBody, WebhookDataMap, WebhookEventType } from '../contracts/webhooks';
import { InjectConfig, type AppConfig } from '../config/config.module';
import type { Db } from '../storage/database';
import type { Database } from '../storage/database.types';
import { InjectDb } from '../storage/database.module';
import { uuidV7 } from '../storage/uuid-v7';

/** A Kysely transaction (or the database itself for changes that are not in it). */
export type OutboxWriter = Kysely<Database>;

/** Called after a row was written (the dispatcher looks for due rows a moment later). */
export type OutboxListener = () => void;

/**
 * The one way to report a change to webhooks. `record(trx, type, data)` inside the transaction
 * of the change writes one outbox row per WEBHOOK_URLS entry, so the event exists exactly when
 * the change committed, and survives any crash after it. A type filtered out by WEBHOOK_EVENTS
 * (or webhooks off) writes nothing.
 */
@Injectable()
export class WebhookOutbox {
  private readonly logger = new Logger('Webhooks');
  private listener?: OutboxListener;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDb() private readonly db: Db,
  ) {}

  /** Whether events of `type` are delivered at all (callers may skip building `data`). */
  wants(type: WebhookEventType): boolean {
    const { urls, secret, events } = this.config.webhooks;
    return urls.length > 0 && secret !== undefined && events.has(type);
  }

  /** Writes the event in `trx` (the change's own transaction). Resolves when the insert ran. */
  async record<T extends WebhookEventType>(trx: OutboxWriter, type: T, data: WebhookDataMap[T]): Promise<void> {
    if (!this.wants(type)) return;
    const createdAt = new Date().toISOString();
    const body: WebhookBody<T> = { id: `evt_${uuidV7()}`, type, createdAt, data };
    const json = JSON.stringify(body);
    await trx
      .insertInto('webhook_outbox')
      .values(
        this.config.webhooks.urls.map((url) => ({
          id: uuidV7(),
          event_id: body.id,
          type,
          url,
          body: json,
          created_at: createdAt,
          next_attempt_at: createdAt,
        })),
      )
      .execute();
    setImmediate(() => this.listener?.());
  }

  /**
   * For changes that live outside the database (presence, modals): the event is written on its
   * own. A database that is down loses it (logged); nothing else fails because of it.
   */
  async recordNow<T extends WebhookEventType>(type: T, data: WebhookDataMap[T]): Promise<void> {
    if (!this.wants(type)) return;
    await this.record(this.db, type, data).catch((err: unknown) => this.logger.warn({ err }, `webhook ${type} not recorded`));
  }

  /** The dispatcher's hook: a row was written on this instance. */
  onRecorded(listener: OutboxListener): void {
    this.listener = listener;
  }
}
