import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.module';
import { closeDatabase, migrateToLatest, openDatabase, type Db } from './database';
import { WriteBatcher } from './write-batcher';

export const DATABASE = Symbol('DATABASE');
/** Injects the Kysely instance. */
export const InjectDb = () => Inject(DATABASE);

/**
 * Opens the database and migrates it before anything else starts. `WriteBatcher` is the way
 * into a write transaction on the hot paths (group commit on SQLite).
 */
@Global()
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<Db> => {
        const db = openDatabase(config.database);
        try {
          const applied = await migrateToLatest(db);
          if (applied.length) new Logger('Database').log(`applied migrations: ${applied.join(', ')}`);
        } catch (error) {
          await closeDatabase(db);
          throw error;
        }
        return db;
      },
    },
    {
      provide: WriteBatcher,
      inject: [DATABASE, APP_CONFIG],
      useFactory: (db: Db, config: AppConfig) => new WriteBatcher(db, config.database.kind === 'sqlite'),
    },
  ],
  exports: [DATABASE, WriteBatcher],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly db: Db,
    private readonly writes: WriteBatcher,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.writes.drain();
    await closeDatabase(this.db);
  }
}
