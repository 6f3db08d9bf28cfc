/**
 * Values per `IN (…)` list. SQLite binds at most 32,766 parameters per statement and PostgreSQL
 * 65,535; a list of this size leaves room for the statement's other parameters and keeps each
 * statement (and each PostgreSQL round trip) small.
 */
export const IN_BATCH_SIZE = 1000;

/**
 * Runs `run` once per chunk of at most `size` values, one chunk after the other (SQLite runs one
 * statement at a time anyway; on PostgreSQL it holds one pooled connection, not one per chunk),
 * and concatenates the results in chunk order. No values: no statement.
 */
export async function inBatches<T, R>(
  values: readonly T[],
  run: (chunk: T[]) => Promise<readonly R[]>,
  size: number = IN_BATCH_SIZE,
): Promise<R[]> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const results: R[] = [];
  for (let start = 0; start < values.length; start += size) {
    const rows = await run(values.slice(start, start + size));
    for (const row of rows) results.push(row);
  }
  return results;
}
