import { sql } from 'kysely';
import { closeDatabase, migrateToLatest, openDatabase, type Db } from './database';
import { preparedQuery } from './prepared-query';

describe('preparedQuery (SQLite)', () => {
  let db: Db;
  beforeAll(async () => {
    db = openDatabase({ kind: 'sqlite', path: ':memory:' });
    await migrateToLatest(db);
    const now = new Date().toISOString();
    await db
      .insertInto('users')
      .values(
        ['a', 'b', 'c'].map((id) => ({ id, username: id, display_name: id, password_hash: 'x', created_at: now, last_seen_at: null })),
      )
      .execute();
  });
  afterAll(() => closeDatabase(db));

  it('builds once and runs with each call’s arguments, keeping the query’s own constants', async () => {
    const build = jest.fn((d: Db, p: { id: string }) =>
      d
        .selectFrom('users')
        .select(['id', sql<number>`${7}`.as('seven')])
        .where('id', '=', p.id),
    );
    const byId = preparedQuery(['id'], build);
    expect((await byId(db, { id: 'a' })).rows).toEqual([{ id: 'a', seven: 7 }]);
    expect((await byId(db, { id: 'c' })).rows).toEqual([{ id: 'c', seven: 7 }]);
    expect((await byId(db, { id: 'nobody' })).rows).toEqual([]);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('works inside a transaction, and an argument may appear several times', async () => {
    const rename = preparedQuery(['id', 'name'], (d, p: { id: string; name: string }) =>
      d.updateTable('users').set({ display_name: p.name, username: p.name }).where('id', '=', p.id).returning(['username', 'display_name']),
    );
    const rows = await db.transaction().execute(async (trx) => (await rename(trx, { id: 'b', name: 'bee' })).rows);
    expect(rows).toEqual([{ username: 'bee', display_name: 'bee' }]);
  });

  it('refuses a query that does not use an argument as a parameter (it would be fixed at the first call)', async () => {
    const shapeByArgument = preparedQuery(['table'], (d, p: { table: string }) =>
      d.selectFrom(sql.table(p.table).as('t') as never).selectAll(),
    );
    await expect(async () => shapeByArgument(db, { table: 'users' })).rejects.toThrow(/table must be parameters/);
  });
});
