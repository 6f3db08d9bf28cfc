import { Worker } from 'node:worker_threads';

/**
 * How often the worker moves committed pages from the WAL into the database file. Often, so that
 * little is left when the writer's own checkpoint runs inside a commit (below): under steady
 * traffic PASSIVE checkpoints never let the WAL start over (new frames arrive during each copy),
 * the WAL reaches WRITER_AUTOCHECKPOINT_PAGES, and the writer's checkpoint copies whatever the
 * worker has not. At 250 ms that was about once a second 6 to 49 ms inside a DM's commit at
 * 1,000 DMs/s; at 25 ms the longest was 17 ms (bench/README.md, "Levers of stop 31").
 */
const CHECKPOINT_INTERVAL_MS = 25;
/**
 * The writer's own automatic checkpoint, kept as a bound on the WAL's size (~40 MB) for
 * sustained writes that never leave the WAL fully copied (it restarts only then).
 */
export const WRITER_AUTOCHECKPOINT_PAGES = 10_000;

// Plain CommonJS, run with `eval: true`: no separate build output to locate at run time.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or I/O trouble: the writer's own autocheckpoint still bounds the WAL; try again later.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * WAL checkpoints off the event loop. In WAL mode with `synchronous = NORMAL` every
 * checkpoint fsyncs the WAL and the database file; on the benchmark VM that is ~20 ms, and
 * SQLite runs it inside the commit that crosses `wal_autocheckpoint` (every 1,000 pages by
 * default: a few hundred messages). Those stalls were the service's p99 latency. A worker
 * thread with its own connection runs PASSIVE checkpoints, which never block the writer, so
 * the fsyncs wait there instead.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private exited = false;

  constructor(file: string) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver: require.resolve('better-sqlite3'), intervalMs: CHECKPOINT_INTERVAL_MS },
    });
    this.worker.unref();
    // A failing worker leaves checkpoints to the writer's autocheckpoint; never crash for it.
    this.worker.on('error', () => undefined);
    this.worker.once('exit', () => (this.exited = true));
  }

  /** Closes the worker's connection; resolves once the worker exited (it may delete the WAL files on its way out). */
  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Held from here on: a process with nothing else left (a start-up failing on a port in use)
    // would otherwise end at once, with exit code 0, before this resolves and the caller exits 1.
    this.worker.ref();
    this.worker.postMessage('stop');
    return exited;
  }
}
