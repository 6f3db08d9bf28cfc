import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** The admin connection used to create and drop throwaway databases. */
export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type Engine = 'sqlite' | 'postgres';

/** Which engine e2e apps use: `TEST_DATABASE=postgres` runs the whole suite on PostgreSQL. */
export const E2E_ENGINE: Engine = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

let pgReachable: Promise<boolean> | undefined;

/** Whether PostgreSQL answers; under CI a missing server is a failure, never a skip. */
export function postgresAvailable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const client = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (error) {
      if (process.env.CI)
        throw new Error(`PostgreSQL is required under CI but unreachable at ${PG_ADMIN_URL}: ${String(error)}`, { cause: error });
      console.warn(`PostgreSQL unreachable at ${PG_ADMIN_URL}; PostgreSQL tests are skipped (they fail under CI).`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return pgReachable;
}

async function admin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on `engine`, removed again by `drop()`. */
export async function createTestDatabase(engine: Engine = E2E_ENGINE): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'realtime-test-'));
    return { url: `sqlite:${join(dir, 'test.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `rt_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
