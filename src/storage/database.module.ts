import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.module';
import { migrateToLatest, openDatabase, type Db } from './database';

export const DATABASE = Symbol('DATABASE');
/** Injects the Kysely instance. */
export const InjectDb = () => Inject(DATABASE);

/** Opens the database and migrates it before anything else starts. */
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
          await db.destroy();
          throw error;
        }
        return db;
      },
    },
  ],
  exports: [DATABASE],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
