import { escapeLiteral, type Pool, type QueryResult, type QueryResultRow } from 'pg';
import type { Db } from './database';

/** The pool under each PostgreSQL Kysely instance (set by openDatabase). */
const pools = new WeakMap<Db, Pool>();

export function rememberPool(db: Db, pool: Pool): void {
  pools.set(db, pool);
}

/** The PostgreSQL pool under `db` (undefined on SQLite). */
export function postgresPool(db: Db): Pool | undefined {
  return pools.get(db);
}

/** A value quoted for SQL text (PostgreSQL's own quoting rules, as `pg` applies them). */
export const sqlLiteral = escapeLiteral;

type Result = QueryResult<QueryResultRow>;

/**
 * PostgreSQL: `begin` and `statements` in ONE round trip, the rows of each statement (in order)
 * handed to `inside` while the transaction still holds its locks, then `commit`: two round trips
 * where Kysely's transaction makes one per statement plus two. The simple query protocol takes
 * several statements at once but no parameters, so values go into the text quoted by
 * `sqlLiteral`. Any failure (a statement, `inside`) rolls back; a connection that cannot roll back
 * is discarded.
 */
export async function inPipelinedTransaction<Rows extends QueryResultRow[][]>(
  pool: Pool,
  statements: readonly string[],
  inside: (rows: Rows) => void,
): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // Several statements answer an array of results, one each (begin's included).
    const results = (await client.query(['begin', ...statements].join(';\n'))) as unknown as Result | Result[];
    inside((Array.isArray(results) ? results.slice(1) : []).map((result) => result.rows) as Rows);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}
