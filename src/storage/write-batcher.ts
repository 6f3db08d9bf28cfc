import type { Kysely, Transaction } from 'kysely';
import type { Db } from './database';
import type { Database } from './database.types';

/** A unit of writes. It must use only `trx` and have no effect outside the database: it may run twice. */
export type WriteUnit<T> = (trx: Transaction<Database>) => Promise<T>;
/** A unit of statements that may each commit on their own (typically one statement); the same rules as WriteUnit. */
export type StatementUnit<T> = (db: Kysely<Database>) => Promise<T>;

/** One statement that writes several items at once (a list of ids in a `where id in`, say). */
export type ManyUnit<T> = (db: Kysely<Database>, items: T[]) => Promise<unknown>;

interface Pending {
  unit: WriteUnit<unknown>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/** Enough to amortize a commit; small enough that one batch never holds the connection for long. */
const MAX_BATCH = 256;
/** How long a saturated process lets units gather before it commits them. */
const SATURATED_WINDOW_MS = 5;
/** Event-loop utilization (share of time busy) from which the process counts as saturated. */
const SATURATED_UTILIZATION = 0.8;
/** How often the utilization is sampled (on the next unit after this long). */
const LOAD_SAMPLE_MS = 100;

/**
 * Group commit for the write paths that run once per message or handshake.
 *
 * On SQLite a commit (appending the transaction's pages to the WAL) costs several times the
 * inserts it commits: about 200 µs against 50 µs for a message on the benchmark machine. There
 * is a single writer anyway, so the units that arrive in the same turn of the event loop (in the
 * same 5 ms when the event loop is saturated) run in ONE transaction and each is answered after
 * that commit. When any unit fails, the whole batch is rolled back and every unit runs again in
 * a transaction of its own, so a failure (a duplicate clientMsgId, say) fails only its own unit,
 * and nothing is ever answered before it is committed. Units run in the order they were submitted.
 *
 * On PostgreSQL each unit is simply its own transaction on a pooled connection: batching there
 * would make unrelated conversations wait on each other's row locks. A unit of one statement
 * (`statement`) needs no transaction there at all: one round trip instead of begin, the statement
 * and commit.
 */
export class WriteBatcher {
  private queue: Pending[] = [];
  /** The `coalesced` writers that are writing (drain waits for them). */
  private readonly inFlight = new Set<Promise<void>>();
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private saturated = false;
  private load = performance.eventLoopUtilization();
  private loadSampledAt = performance.now();

  constructor(
    private readonly db: Db,
    private readonly batching: boolean,
  ) {}

  /** Runs `unit` in a transaction (shared with others on SQLite); resolves after the commit. */
  transaction<T>(unit: WriteUnit<T>): Promise<T> {
    if (!this.batching) return this.db.transaction().execute(unit);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ unit, resolve: resolve, reject });
      this.schedule();
    });
  }

  /**
   * Runs `unit`, whose statements may each commit on their own: on SQLite in the shared transaction
   * like any unit, on PostgreSQL without one (each statement commits by itself).
   */
  statement<T>(unit: StatementUnit<T>): Promise<T> {
    return this.batching ? this.transaction(unit) : unit(this.db);
  }

  /**
   * A writer of items that one statement writes many at a time (`unit`, at most `maxBatch` items):
   * the first item is written at once, and the items that come while that statement runs are
   * written together by the next one, and so on (group commit without a timer: one at a time
   * when quiet, few statements for a storm of them, e.g. the sockets of a deploy going at once).
   * Each call resolves once the statement with its item committed (rejects if it failed); the
   * statements go through `statement`.
   */
  coalesced<T>(unit: ManyUnit<T>, maxBatch: number): (item: T) => Promise<void> {
    const waiting: { item: T; resolve: () => void; reject: (reason: unknown) => void }[] = [];
    let running: Promise<void> | undefined;
    const run = async () => {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, maxBatch);
        const items = batch.map((w) => w.item);
        await this.statement((db) => unit(db, items)).then(
          () => batch.forEach((w) => w.resolve()),
          (reason: unknown) => batch.forEach((w) => w.reject(reason)),
        );
      }
    };
    const start = () => {
      const loop = run().finally(() => {
        running = undefined;
        this.inFlight.delete(loop);
        // An item that came after the loop saw none left but before this ran.
        if (waiting.length > 0) start();
      });
      running = loop;
      this.inFlight.add(loop);
    };
    return (item) =>
      new Promise<void>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (!running) start();
      });
  }

  /** Resolves once every unit submitted so far is settled (before closing the database). */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.length > 0 || this.inFlight.size > 0) {
      if (this.inFlight.size > 0) await Promise.all(this.inFlight);
      if (!this.flushing && this.queue.length > 0) this.flush();
      await this.flushing;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      if (!this.flushing) this.flush();
    };
    // After the I/O callbacks of this turn, so everything that arrived in them joins the batch.
    // A saturated process (a storm of handshakes, each arriving in a turn of its own) waits a few
    // milliseconds more: several units then share each commit, and a few ms are small next to
    // the queueing it already has. Under normal load nothing waits.
    if (this.isSaturated()) setTimeout(run, SATURATED_WINDOW_MS);
    else setImmediate(run);
  }

  private isSaturated(): boolean {
    const now = performance.now();
    if (now - this.loadSampledAt >= LOAD_SAMPLE_MS) {
      const load = performance.eventLoopUtilization();
      this.saturated = performance.eventLoopUtilization(load, this.load).utilization >= SATURATED_UTILIZATION;
      this.load = load;
      this.loadSampledAt = now;
    }
    return this.saturated;
  }

  private flush(): void {
    this.flushing = (async () => {
      // Units submitted while a batch runs form the next one.
      while (this.queue.length > 0) await this.run(this.queue.splice(0, MAX_BATCH));
    })().finally(() => {
      this.flushing = undefined;
      // A unit submitted after the loop saw an empty queue but before this ran found `flushing`
      // still set and was not scheduled: schedule it now, or it would wait for the next unit.
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length > 1) {
      let results: unknown[] | undefined;
      try {
        results = await this.db.transaction().execute(async (trx) => {
          const out: unknown[] = [];
          for (const { unit } of batch) out.push(await unit(trx));
          return out;
        });
      } catch {
        // Rolled back as a whole; find out below which unit failed.
      }
      if (results) return batch.forEach((pending, i) => pending.resolve(results[i]));
    }
    for (const pending of batch) {
      await this.db
        .transaction()
        .execute(pending.unit)
        .then(
          (value) => pending.resolve(value),
          (reason) => pending.reject(reason),
        );
    }
  }
}
