import type { Pool, PoolClient } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { closeDatabase, openDatabase, type Db } from '../src/storage/database';
import { inPipelinedTransaction, postgresPool, sqlLiteral } from '../src/storage/pg-pipeline';
import { createTestDatabase, postgresAvailable, type TestDatabase } from './support/databases';

/** The one-round-trip transaction opening on a real PostgreSQL (what a connecting socket's room read uses). */
describe('inPipelinedTransaction on PostgreSQL', () => {
  let database: TestDatabase | undefined;
  let db: Db;
  let pool: Pool;
  let skip = false;

  beforeAll(async () => {
    if (!(await postgresAvailable())) {
      skip = true;
      return;
    }
    database = await createTestDatabase('postgres');
    db = openDatabase(loadConfig({ DATABASE_URL: database.url }).database);
    pool = postgresPool(db)!;
    await pool.query('create table things (id text primary key, n int not null)');
    await pool.query(`insert into things values ('a', 1), ('b', 2)`);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    if (db) await closeDatabase(db);
    await database?.drop();
  });

  it('is only there on PostgreSQL', async () => {
    if (skip) return;
    expect(pool).toBeDefined();
    const sqlite = openDatabase(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database);
    expect(postgresPool(sqlite)).toBeUndefined();
    await closeDatabase(sqlite);
  });

  it("reads after the lock is granted, hands over the last statement's rows before the commit, and commits", async () => {
    if (skip) return;
    // Another transaction holds row 'a' and changes it while the pipelined one waits for its lock.
    const other = await pool.connect();
    await other.query('begin');
    await other.query(`update things set n = 5 where id = 'a'`);
    const sent: string[] = [];
    const connect = pool.connect.bind(pool) as () => Promise<PoolClient>;
    const spied = async (): Promise<PoolClient> => {
      const client = await connect();
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      // Every form passes through (the pool's own pool.query uses the callback form on this client later).
      jest.spyOn(client, 'query').mockImplementation((...args: unknown[]) => {
        sent.push(String(args[0]).split(';')[0]);
        return query(...args) as never;
      });
      return client;
    };
    jest.spyOn(pool, 'connect').mockImplementationOnce(spied as never);
    let seen: unknown;
    const done = inPipelinedTransaction<[{ id: string }[], { a: number; n: number }[]]>(
      pool,
      [
        `select id from things where id = ${sqlLiteral('a')} for share`,
        `update things set n = n + 10 where id = 'b' returning (select n from things where id = 'a') as a, n`,
      ],
      (rows) => {
        seen = rows;
        sent.push('inside');
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toBeUndefined(); // still waiting for the lock
    await other.query('commit');
    other.release();
    await done;
    // Each statement's rows, in order; the one after the lock saw the other transaction's commit
    // (a fresh snapshot, not one from before the wait).
    expect(seen).toEqual([[{ id: 'a' }], [{ a: 5, n: 12 }]]);
    // `inside` ran while the transaction (and its lock) was still open.
    expect(sent).toEqual(['begin', 'inside', 'commit']);
    expect((await pool.query(`select n from things where id = 'b' for update nowait`)).rows).toEqual([{ n: 12 }]);
    await pool.query(`update things set n = 1 where id = 'a'`);
  });

  it('rolls back when a statement or `inside` fails, leaving the connection usable', async () => {
    if (skip) return;
    await expect(
      inPipelinedTransaction(pool, [`update things set n = 100 where id = 'a'`, 'select * from no_such_table'], () => undefined),
    ).rejects.toThrow(/no_such_table/);
    await expect(
      inPipelinedTransaction(pool, [`update things set n = 200 where id = 'a' returning n`], () => {
        throw new Error('inside failed');
      }),
    ).rejects.toThrow('inside failed');
    expect((await pool.query(`select n from things where id = 'a'`)).rows).toEqual([{ n: 1 }]);
    // Every pooled connection is out of its transaction (none is left "aborted").
    const clients = await Promise.all(Array.from({ length: 10 }, () => pool.connect()));
    try {
      for (const client of clients) expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      for (const client of clients) client.release();
    }
  });

  it('takes no statements at all (a transaction that only begins and commits)', async () => {
    if (skip) return;
    let seen: unknown;
    await inPipelinedTransaction(pool, [], (rows) => (seen = rows));
    expect(seen).toEqual([]);
  });

  it('quotes any value as a literal (quotes, backslashes, a statement in it)', async () => {
    if (skip) return;
    const nasty = `x'); drop table things; --\\ "y"`;
    let seen: unknown;
    await inPipelinedTransaction<[{ v: string }[]]>(pool, [`select ${sqlLiteral(nasty)}::text as v`], ([rows]) => (seen = rows[0]?.v));
    expect(seen).toBe(nasty);
    expect((await pool.query('select count(*)::int as n from things')).rows).toEqual([{ n: 2 }]);
  });
});
