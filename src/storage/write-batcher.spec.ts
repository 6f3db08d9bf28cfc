import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { closeDatabase, migrateToLatest, openDatabase, type Db } from './database';
import { WriteBatcher } from './write-batcher';

describe('WriteBatcher on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'write-batcher-'));
  const file = join(dir, 'batch.db');
  let db: Db;
  let writes: WriteBatcher;
  let n = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    db = openDatabase({ kind: 'sqlite', path: file });
    await migrateToLatest(db);
    writes = new WriteBatcher(db, true);
    await db
      .insertInto('users')
      .values({ id: 'u1', username: 'u1', display_name: 'u1', password_hash: 'x', created_at: 'now', last_seen_at: null })
      .onConflict((oc) => oc.doNothing())
      .execute();
  });
  afterEach(() => closeDatabase(db));

  const session = (id: string) => ({ id, user_id: 'u1', created_at: 'now', last_seen_at: 'now' });
  const insert = (id: string) =>
    writes.transaction((trx) =>
      trx
        .insertInto('sessions')
        .values(session(id))
        .execute()
        .then(() => id),
    );
  const stored = (ids: string[]) =>
    db
      .selectFrom('sessions')
      .select('id')
      .where('id', 'in', ids)
      .execute()
      .then((rows) => rows.map((r) => r.id).sort());

  it('commits the units of one turn in one transaction and answers each with its own result', async () => {
    const transaction = jest.spyOn(db, 'transaction');
    const ids = Array.from({ length: 50 }, () => `s${n++}`);
    const results = await Promise.all(ids.map(insert));
    expect(results).toEqual(ids);
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(await stored(ids)).toEqual([...ids].sort());
  });

  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('under normal load commits each turn without waiting for more units', async () => {
    await new Promise((resolve) => setTimeout(resolve, 150)); // an idle event loop
    const transaction = jest.spyOn(db, 'transaction');
    const first = insert(`s${n++}`);
    await nextTurn();
    await Promise.all([first, insert(`s${n++}`)]);
    expect(transaction).toHaveBeenCalledTimes(2);
  });

  it('when the event loop is saturated, units of consecutive turns share a commit', async () => {
    const transaction = jest.spyOn(db, 'transaction');
    const busyUntil = performance.now() + 150;
    while (performance.now() < busyUntil); // a saturated event loop
    const first = insert(`s${n++}`);
    await nextTurn();
    const second = insert(`s${n++}`);
    await Promise.all([first, second]);
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(await stored([await first, await second])).toHaveLength(2);
  });

  it('answers a unit only once another connection can read what it wrote', async () => {
    const other = new BetterSqlite3(file, { readonly: true });
    try {
      const ids = [`s${n++}`, `s${n++}`, `s${n++}`];
      const visible = await Promise.all(
        ids.map((id) => insert(id).then(() => other.prepare('select count(*) as c from sessions where id = ?').get(id))),
      );
      expect(visible).toEqual(ids.map(() => ({ c: 1 })));
    } finally {
      other.close();
    }
  });

  it('fails only the failing unit of a batch; the others commit, in order', async () => {
    const taken = `s${n++}`;
    await insert(taken);
    const before = [`s${n++}`, `s${n++}`];
    const after = [`s${n++}`];
    const settled = await Promise.allSettled([...before.map(insert), insert(taken), ...after.map(insert)]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toHaveProperty('message', expect.stringMatching(/unique/i));
    expect(await stored([...before, ...after])).toEqual([...before, ...after].sort());
    const order = await db
      .selectFrom('sessions')
      .select('id')
      .where('id', 'in', [...before, ...after])
      .orderBy(db.dynamic.ref('rowid'))
      .execute();
    expect(order.map((r) => r.id)).toEqual([...before, ...after]);
  });

  it('rolls back every write of a failing unit, also the ones before its failure', async () => {
    const taken = `s${n++}`;
    await insert(taken);
    const partial = `s${n++}`;
    const both = writes.transaction(async (trx) => {
      await trx.insertInto('sessions').values(session(partial)).execute();
      await trx.insertInto('sessions').values(session(taken)).execute();
    });
    const other = insert(`s${n++}`);
    await expect(both).rejects.toHaveProperty('message', expect.stringMatching(/unique/i));
    await other;
    expect(await stored([partial])).toEqual([]);
  });

  it('runs a unit submitted a few awaits after the previous one committed, with nothing else arriving', async () => {
    // A caller a few promise hops away (an async wrapper, Promise.all) resumes only after the batch
    // loop found the queue empty: its next unit must not be left behind until some other unit arrives.
    const wrapped = async (id: string) => {
      await insert(id);
    };
    const ids = Array.from({ length: 5 }, () => `s${n++}`);
    const sequence = (async () => {
      for (const id of ids) await Promise.all([wrapped(id)]);
      return 'done';
    })();
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise((resolve) => (timer = setTimeout(() => resolve('stuck'), 2000)));
    expect(await Promise.race([sequence, stuck])).toBe('done');
    clearTimeout(timer);
    expect(await stored(ids)).toEqual([...ids].sort());
  });

  it('drain() waits for units that are queued but not yet run', async () => {
    const ids = [`s${n++}`, `s${n++}`];
    const pending = ids.map(insert);
    await writes.drain();
    expect(await stored(ids)).toEqual([...ids].sort());
    await Promise.all(pending);
  });

  it('without batching (PostgreSQL) runs each unit in a transaction of its own', async () => {
    const single = new WriteBatcher(db, false);
    const transaction = jest.spyOn(db, 'transaction');
    const ids = [`s${n++}`, `s${n++}`, `s${n++}`];
    await Promise.all(ids.map((id) => single.transaction((trx) => trx.insertInto('sessions').values(session(id)).execute())));
    expect(transaction).toHaveBeenCalledTimes(3);
    expect(await stored(ids)).toEqual([...ids].sort());
  });

  it('runs a statement unit in the shared transaction when batching, without any transaction when not', async () => {
    const transaction = jest.spyOn(db, 'transaction');
    const batched = [`s${n++}`, `s${n++}`];
    await Promise.all(batched.map((id) => writes.statement((d) => d.insertInto('sessions').values(session(id)).execute())));
    expect(transaction).toHaveBeenCalledTimes(1);
    transaction.mockClear();
    const single = new WriteBatcher(db, false);
    const alone = [`s${n++}`, `s${n++}`];
    await Promise.all(alone.map((id) => single.statement((d) => d.insertInto('sessions').values(session(id)).execute())));
    expect(transaction).not.toHaveBeenCalled();
    expect(await stored([...batched, ...alone])).toEqual([...batched, ...alone].sort());
  });
  describe('coalesced', () => {
    const deferred = () => {
      let release!: () => void;
      const promise = new Promise<void>((resolve) => (release = resolve));
      return { promise, release };
    };

    it('writes the first item at once and the ones that come meanwhile together, up to maxBatch each', async () => {
      const single = new WriteBatcher(db, false);
      const calls: string[][] = [];
      const gates: ReturnType<typeof deferred>[] = [];
      const write = single.coalesced<string>(async (_db, items) => {
        calls.push(items);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
      }, 2);
      const done: string[] = [];
      const add = (id: string) => write(id).then(() => done.push(id));
      const first = add('a');
      expect(calls).toEqual([['a']]); // at once, nothing waits for more
      const rest = ['b', 'c', 'd'].map(add);
      await nextTurn();
      expect(calls).toEqual([['a']]); // the others wait for the statement in flight
      gates[0].release();
      await first;
      await nextTurn();
      expect(calls).toEqual([['a'], ['b', 'c']]);
      expect(done).toEqual(['a']);
      gates[1].release();
      await nextTurn();
      expect(calls).toEqual([['a'], ['b', 'c'], ['d']]);
      gates[2].release();
      await Promise.all(rest);
      expect(done).toEqual(['a', 'b', 'c', 'd']);
      // Quiet again: the next item goes alone, at once.
      const later = add('e');
      expect(calls[3]).toEqual(['e']);
      gates[3].release();
      await later;
    });

    it('rejects the items of a failed statement only; the next batch is written; drain() waits for the writer', async () => {
      const single = new WriteBatcher(db, false);
      const gate = deferred();
      let call = 0;
      const write = single.coalesced<string>(async (_db, items) => {
        call += 1;
        if (call === 1) {
          await gate.promise;
          throw new Error(`lost ${items.join()}`);
        }
      }, 10);
      const first = write('a');
      const second = write('b');
      let drained = false;
      const draining = single.drain().then(() => (drained = true));
      await nextTurn();
      expect(drained).toBe(false);
      gate.release();
      await expect(first).rejects.toThrow('lost a');
      await expect(second).resolves.toBeUndefined();
      await draining;
      expect(call).toBe(2);
    });

    it('on SQLite each statement joins the shared transaction of its turn', async () => {
      const transaction = jest.spyOn(db, 'transaction');
      const ids = [`s${n++}`, `s${n++}`, `s${n++}`];
      for (const id of ids) await insert(id);
      transaction.mockClear();
      const left = writes.coalesced<string>(
        (d, items) => d.updateTable('sessions').set({ connected: 0 }).where('id', 'in', items).execute(),
        100,
      );
      await Promise.all([...ids.map(left), insert(`s${n++}`)]);
      // The first id's statement and the insert share one commit; the other two ids, one statement, the next.
      expect(transaction).toHaveBeenCalledTimes(2);
      const rows = await db.selectFrom('sessions').select(['id', 'connected']).where('id', 'in', ids).execute();
      expect(rows.map((r) => r.connected)).toEqual([0, 0, 0]);
    });
  });
});
