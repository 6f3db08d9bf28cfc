import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationProvider, type SqliteDatabase } from 'kysely';
import { Pool } from 'pg';
import type { AppConfig } from '../config/app-config';
import type { Database } from './database.types';
import { migrations } from './migrations';
import { NamedStatementClient } from './pg-named-statements';
import { rememberPool } from './pg-pipeline';
import { WalCheckpointer, WRITER_AUTOCHECKPOINT_PAGES } from './wal-checkpointer';

export type Db = Kysely<Database>;
export type DatabaseKind = AppConfig['database']['kind'];

/** Opens the configured database. SQLite gets WAL so readers never block the writer. */
export function openDatabase(config: AppConfig['database']): Db {
  if (config.kind === 'sqlite') {
    const inMemory = config.path === ':memory:';
    const file = resolve(config.path);
    if (!inMemory) mkdirSync(dirname(file), { recursive: true });
    const sqlite = new BetterSqlite3(inMemory ? ':memory:' : file);
    sqlite.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a process crash (kill -9); only an OS crash or
    // power loss can drop the last transactions. FULL would fsync every message.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    let checkpointer: WalCheckpointer | undefined;
    if (!inMemory) {
      sqlite.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
      checkpointer = new WalCheckpointer(file);
    }
    const database = withStatementCache(sqlite, () => {
      if (checkpointer)
        closing.set(
          db,
          checkpointer.stop().then(() => removeWal(file)),
        );
    });
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    return db;
  }
  const pool = new Pool({
    Client: NamedStatementClient,
    connectionString: config.url,
    max: 10,
    connectionTimeoutMillis: 5000,
    // Queries against a database that went away must fail fast rather than hang a handler.
    query_timeout: 10_000,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  rememberPool(db, pool);
  return db;
}

/**
 * The main connection and the worker's close at the same moment, and each may see the other
 * still open and leave the WAL to it. Once both are closed, one short connection is the last to
 * close: SQLite checkpoints and removes the -wal/-shm files then (a clean file after a shutdown).
 */
function removeWal(file: string): void {
  if (!existsSync(`${file}-wal`)) return;
  try {
    const last = new BetterSqlite3(file, { fileMustExist: true });
    // A connection that never read does not touch the WAL on close: this one reads it.
    last.pragma('wal_checkpoint(TRUNCATE)');
    last.close();
  } catch {
    // Another process has the file open, or it went away: the next open recovers the WAL anyway.
  }
}

/** The SQLite checkpoint worker of each database, until it exited. */
const closing = new WeakMap<Db, Promise<void>>();

/**
 * Closes the database and waits until nothing holds its files any more: the checkpoint worker
 * closes its own connection after the main one (and may remove the -wal/-shm files as it goes).
 */
export async function closeDatabase(db: Db): Promise<void> {
  await db.destroy();
  await closing.get(db);
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew (about a tenth of the CPU of a message send);
 * the service runs a few dozen distinct statements, so prepared statements are kept by SQL text.
 * Safe because Kysely runs one query at a time on its single SQLite connection. The cache is
 * bounded (least recently used out) in case some query text is ever built dynamically.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, onClose: () => void): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      onClose();
      sqlite.close();
    },
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (statement) {
        cache.delete(sqlText);
      } else {
        statement = sqlite.prepare(sqlText);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sqlText, statement);
      return statement;
    },
  };
}

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/** Brings the schema up to date; safe to run from several instances at once (Kysely locks). */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
