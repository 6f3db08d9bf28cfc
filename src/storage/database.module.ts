import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.module';
import { causeOf, DependencyUnavailableError, withoutPassword } from '../common/errors/startup-error';
import { closeDatabase, migrateToLatest, openDatabase, pingDatabase, type Db } from './database';
import { WriteBatcher } from './write-batcher';

export const DATABASE = Symbol('DATABASE');
/** Injects the Kysely instance. */
export const InjectDb = () => Inject(DATABASE);

/**
 * Opens the database and migrates it before anything else starts. `WriteBatcher` is the way
 * into a write transaction on the hot paths (group commit on SQLite).
 */
/** Opens the database and asks it `select 1`; a failure there is one start-up line naming it. */
async function reachDatabase(database: AppConfig['database']): Promise<Db> {
  const target = database.kind === 'sqlite' ? `SQLite file ${database.path}` : `PostgreSQL at ${withoutPassword(database.url)}`;
  const hint =
    database.kind === 'sqlite'
      ? 'check DATABASE_URL and that the directory exists and is writable by this user'
      : 'check DATABASE_URL (host, port, user, password, database name) and that PostgreSQL is running and reachable';
  let db: Db | undefined;
  try {
    db = openDatabase(database);
    await pingDatabase(db);
    return db;
  } catch (error) {
    if (db) await closeDatabase(db).catch(() => undefined);
    throw new DependencyUnavailableError('database', `cannot reach the database (${target}): ${causeOf(error)}; ${hint}`, { cause: error });
  }
}

@Global()
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<Db> => {
        const db = await reachDatabase(config.database);
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
