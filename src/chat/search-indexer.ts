import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { MessageSearchRepository } from './message-search.repository';

/** Messages per index transaction: big enough that FTS5 writes few segments, small enough that one batch holds the event loop ~3 ms. */
export const INDEX_BATCH = 1000;
/** How often new messages are indexed (searches index what is pending first, so this only bounds the work a search finds). */
export const INDEX_INTERVAL_MS = 250;

/**
 * Keeps SQLite's search index (FTS5, migration 0012) up to date in batches: a few times a second,
 * at start (what the previous process left), and before every search, so a search finds every
 * message committed before it. Sends pay nothing for the index: FTS5 writing a segment at each
 * group commit of a few messages cost more than the sends themselves. PostgreSQL: nothing to do.
 */
@Injectable()
export class SearchIndexer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SearchIndexer.name);
  private readonly task: PeriodicTask;
  private readonly enabled: boolean;

  constructor(
    private readonly search: MessageSearchRepository,
    @InjectConfig() config: AppConfig,
  ) {
    this.enabled = config.database.kind === 'sqlite';
    this.task = new PeriodicTask(
      { name: 'search indexing', intervalMs: INDEX_INTERVAL_MS, firstDelayMs: 0, logger: this.logger },
      async (stopped) => {
        while (!stopped() && (await this.search.indexPending(INDEX_BATCH)) === INDEX_BATCH);
      },
    );
  }

  onApplicationBootstrap(): void {
    if (this.enabled) this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  /** Resolves once every message committed before the call is indexed. */
  async catchUp(): Promise<void> {
    if (!this.enabled) return;
    // A run already in progress may have looked before the latest commits: a second run starts after this call.
    await this.task.runNow();
    await this.task.runNow();
  }
}
