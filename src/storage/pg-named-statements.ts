import { Client, type QueryConfig } from 'pg';

/** SQL text → statement name, for the statements the hot paths run (a fixed set: one per call site). */
const names = new Map<string, string>();

/**
 * Marks `sql` as a statement of a hot path: on PostgreSQL it then runs as a named prepared
 * statement, parsed and planned once per connection instead of at every execution (the database
 * shares the machine's cores with the service). Only texts registered here are named, so the
 * statements a connection keeps are bounded by the code, never by the data (an `in (...)` list of
 * varying length is never registered).
 */
export function registerHotStatement(sql: string): void {
  if (!names.has(sql)) names.set(sql, `hot_${names.size + 1}`);
}

/** The pool's client: a registered text, passed as (text, values) by Kysely, runs as its named statement. */
export class NamedStatementClient extends Client {
  override query(...args: unknown[]): never {
    const [text, values] = args;
    const name = typeof text === 'string' && args.length === 2 && Array.isArray(values) ? names.get(text) : undefined;
    const query = (...a: unknown[]) => (super.query as (...b: unknown[]) => never).apply(this, a);
    if (!name) return query(...args);
    const named: QueryConfig = { name, text: text as string, values: values as unknown[] };
    return query(named);
  }
}
