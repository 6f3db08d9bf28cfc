import { PostgresAdapter, type Compilable, type CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import { registerHotStatement } from './pg-named-statements';
import type { Database } from './database.types';

/** `Db` or a transaction of it. */
type Executor = Pick<Kysely<Database>, 'executeQuery' | 'getExecutor'>;

interface Shape {
  compiled: CompiledQuery;
  /** For each parameter of the compiled query: the argument it is, or null for a constant of the query. */
  slots: (string | null)[];
}

/**
 * A query of the hot paths (a send, a handshake) that Kysely builds and compiles once; each call
 * only puts its arguments into the parameter list. Building and compiling costs more than
 * running the statement on SQLite (see bench/README.md, "Levers").
 *
 * `build` gets placeholders for `keys` and must use each of them as a plain value (in `where`,
 * `values`, `set` ...) and nothing else: the SQL text is fixed by the first call, so an argument
 * may not decide the shape of the query (skip a column, choose a table, be undefined). The shape
 * is compiled once per engine (SQLite's `?`, PostgreSQL's `$1`); on PostgreSQL it is also a named
 * prepared statement (see pg-named-statements.ts).
 */
export function preparedQuery<P extends Record<string, unknown>, R>(
  keys: readonly (keyof P & string)[],
  build: (db: Kysely<Database>, params: P) => Compilable<R>,
): (db: Executor, params: P) => Promise<QueryResult<R>> {
  const shapes = new Map<unknown, Shape>();
  const shapeFor = (db: Executor): Shape => {
    const engine = db.getExecutor().adapter.constructor;
    let shape = shapes.get(engine);
    if (!shape) {
      const placeholder = (key: string) => `\u0000${key}\u0000`;
      const placeholders = Object.fromEntries(keys.map((k) => [k, placeholder(k)])) as P;
      const compiled = build(db as Kysely<Database>, placeholders).compile();
      const slots = compiled.parameters.map((p) => keys.find((k) => p === placeholder(k)) ?? null);
      const missing = keys.filter((k) => !slots.includes(k));
      if (missing.length) throw new Error(`preparedQuery: ${missing.join(', ')} must be parameters of the query (${compiled.sql})`);
      if (db.getExecutor().adapter instanceof PostgresAdapter) registerHotStatement(compiled.sql);
      shape = { compiled, slots };
      shapes.set(engine, shape);
    }
    return shape;
  };
  return (db, params) => {
    const { compiled, slots } = shapeFor(db);
    const query: CompiledQuery<R> = {
      ...compiled,
      parameters: slots.map((key, i) => (key === null ? compiled.parameters[i] : params[key])),
    };
    return db.executeQuery(query);
  };
}
