import { Worker } from 'node:worker_threads';

/** How often the worker moves committed pages from the WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 250;
/**
 * WAL frames (pages, ~4 KB each) from which the worker also makes the WAL start over (~16 MB),
 * far below the writer's own bound, so that bound is never reached while the worker runs.
 */
const RESTART_FRAMES = 4000;
/**
 * The writer's own automatic checkpoint: only a safety bound on the WAL's size (~40 MB) now,
 * for when the worker cannot keep up or has failed.
 */
export const WRITER_AUTOCHECKPOINT_PAGES = 10_000;

export interface WalCheckpointerOptions {
  intervalMs?: number;
  restartFrames?: number;
}

// Plain CommonJS, run with `eval: true`: no separate build output to locate at run time.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// Never wait for the writer's lock: a RESTART that waited would find more frames to copy under it.
db.pragma('busy_timeout = 0');
const checkpoint = () => {
  try {
    // Copies what it can without taking any lock; answers how many frames the WAL holds.
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    // The rest under the writer lock, if it is free right now (else on a later tick): only the
    // frames written since, and the fsync. The next transaction writes the WAL from its start.
    if (passive && passive.log >= workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
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
 *
 * PASSIVE alone never lets the WAL start over while messages keep coming (it restarts only
 * once every frame is copied, and new ones arrive during each copy), so under steady traffic
 * it grew to the writer's bound, and from then on the writer's own checkpoint ran inside a
 * commit about once a second (6 to 49 ms at 1,000 DMs/s, longer as the database grew). Past
 * RESTART_FRAMES the worker therefore finishes with a RESTART checkpoint, taken only when the
 * writer lock is free at that moment. The writer waits only if it wants to write during that
 * short locked part: in the benchmark's open loop, commits over 5 ms went from 23 (482 ms in
 * all) to 2 (13 ms).
 */
export class WalCheckpointer {
  private readonly worker: Worker;

  constructor(file: string, options: WalCheckpointerOptions = {}) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file,
        driver: require.resolve('better-sqlite3'),
        intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
        restartFrames: options.restartFrames ?? RESTART_FRAMES,
      },
    });
    this.worker.unref();
    // A failing worker leaves checkpoints to the writer's autocheckpoint; never crash for it.
    this.worker.on('error', () => undefined);
  }

  /** Closes the worker's connection; resolves once the worker exited (it may delete the WAL files on its way out). */
  stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('stop');
    return exited;
  }
}
