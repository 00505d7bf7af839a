/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit
 * that crosses the threshold, on the connection that commits: with better-sqlite3 that is
 * the main thread, which then copies tens of megabytes into the database file while every
 * request waits (stalls of 100-300 ms were seen on the decision path). Here the main
 * connection's automatic checkpoint is turned off and a worker thread, on its own
 * connection, runs PASSIVE checkpoints: they never block the writer, and WAL frames stay
 * durable in the WAL until they are copied. If the worker dies, the main connection takes
 * automatic checkpoints back, so the WAL cannot grow without bound.
 *
 * A file whose writer is not the main thread (the decision log's, decisionLogWorker.ts) gets
 * the same worker with a `CheckpointWriter`: the catch-up and the fallback then run on the
 * writer's own thread, between its commits.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDb } from './db.js';

// Plain CommonJS so the worker needs no TypeScript loader (it runs under tsx and from dist).
// An eval'd worker resolves bare names from the working directory, not from this package:
// it loads better-sqlite3 by the path resolved here, so the CLI runs from any directory.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('wal_autocheckpoint = 0');
const run = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.message || e) });
  }
};
const timer = setInterval(run, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'now') run();
  if (m === 'stop') { clearInterval(timer); db.close(); parentPort.close(); }
});
`;
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

export interface CheckpointStats {
  runs: number;
  /** WAL frames in the log and frames copied into the database, at the last run. */
  lastLog: number;
  lastCheckpointed: number;
  /** Times the main connection copied the remainder so the WAL could start over. */
  catchUps: number;
  errors: number;
}

/**
 * The connection that writes a file, as the checkpointer reaches it: the main connection
 * (a `SqliteDb`), or a writer on another thread through these calls.
 */
export interface CheckpointWriter {
  /** The database file. */
  readonly path: string;
  /** A PASSIVE checkpoint on the writer's connection, between two of its writes (the catch-up below). */
  catchUp(): Promise<void> | void;
  /** The worker stopped: the writer checkpoints automatically past `pages` again. */
  fallback(pages: number): void;
}

/** The main connection as a checkpoint writer: it catches up and falls back on its own thread, the main one. */
function mainConnection(db: SqliteDb): CheckpointWriter & { open(): boolean } {
  return {
    path: db.name,
    open: () => db.open,
    catchUp: () => void db.pragma('wal_checkpoint(PASSIVE)'),
    fallback: (pages) => {
      if (db.open) db.pragma(`wal_autocheckpoint = ${pages}`);
    },
  };
}

export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped = false;
  private catchingUp = false;
  readonly stats: CheckpointStats = { runs: 0, lastLog: 0, lastCheckpointed: 0, catchUps: 0, errors: 0 };

  /**
   * `target` must be a file database in WAL mode: the main connection, or the writer of the
   * file on another thread (it must have turned its automatic checkpoints off itself);
   * `fallbackPages` is the automatic threshold restored if the worker dies; past
   * `restartFrames` WAL frames the writer catches up (see below).
   */
  constructor(target: SqliteDb | CheckpointWriter, o: { everyMs?: number; fallbackPages?: number; restartFrames?: number; onError?: (message: string) => void } = {}) {
    const fallback = o.fallbackPages ?? 10_000;
    const restartFrames = o.restartFrames ?? 20_000;
    const isWriter = (t: SqliteDb | CheckpointWriter): t is CheckpointWriter => typeof (t as CheckpointWriter).catchUp === 'function';
    const writer: CheckpointWriter & { open?: () => boolean } = isWriter(target) ? target : mainConnection(target);
    if (!isWriter(target)) {
      target.pragma('wal_autocheckpoint = 0');
      target.pragma('journal_size_limit = 67108864'); // a WAL started over is truncated to 64 MB
    }
    const failed = (e: unknown) => {
      this.stats.errors++;
      o.onError?.(`WAL checkpoint failed: ${e instanceof Error ? e.message : String(e)}`);
    };
    this.worker = new Worker(WORKER, { eval: true, workerData: { betterSqlite3: BETTER_SQLITE3, path: writer.path, everyMs: o.everyMs ?? 1000 } });
    this.worker.unref();
    this.worker.on('message', (m: { ok: boolean; log?: number; checkpointed?: number; error?: string }) => {
      this.stats.runs++;
      if (!m.ok) return failed(m.error);
      this.stats.lastLog = m.log ?? 0;
      this.stats.lastCheckpointed = m.checkpointed ?? 0;
      // Under steady writes a passive run never finds the WAL fully copied (frames arrive
      // while it copies), so the writer never starts the WAL over and it grows without
      // bound. Past the limit the writer copies the few frames the worker's run missed:
      // between two writes, so the next write starts the WAL over. RESTART from the worker
      // would do it by holding off writes, and with a reader pinning the WAL the writer's
      // writes timed out behind it.
      if (this.stats.lastLog < restartFrames || this.catchingUp || this.stopped || writer.open?.() === false) return;
      this.catchingUp = true;
      this.stats.catchUps++;
      try {
        const done = writer.catchUp();
        if (done) {
          done.catch(failed).finally(() => (this.catchingUp = false));
          return;
        }
      } catch (e) {
        failed(e);
      }
      this.catchingUp = false;
    });
    const takeBack = (why: string) => {
      if (this.stopped) return;
      this.stopped = true;
      writer.fallback(fallback);
      o.onError?.(`WAL checkpoint worker stopped (${why}); the ${isWriter(target) ? 'writer' : 'main connection'} checkpoints again`);
    };
    this.worker.on('error', (e) => takeBack(e.message));
    this.worker.on('exit', (code) => takeBack(`exit ${code}`));
  }
  /** Asks for a checkpoint now (tests, shutdown). */
  nudge(): void {
    if (!this.stopped) this.worker.postMessage('now');
  }

  /** Stops the worker; call before closing the main connection. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const done = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('stop');
    await done;
  }
}
