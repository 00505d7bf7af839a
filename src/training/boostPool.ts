/**
 * Training work on worker threads while the main thread does the rest (docs/decisions/0026,
 * 0029): GBDT boosting and pieces of point-in-time feature matrices. Both are pure work on
 * typed arrays: a boosting task crosses to a worker by postMessage (the arrays cloned) and
 * the worker runs the same `train`; a matrix piece reads the training snapshot's columns in
 * shared memory (sent once per worker) with a `FeatureSet` the worker compiles from the same
 * definitions, and runs the same `buildPiece`. So what a worker gives is what this thread
 * gives.
 *
 * Every task is posted to the workers when it is submitted, with a claim cell in shared
 * memory: whoever claims it first (Atomics.compareExchange) runs it. A worker takes tasks in
 * submission order without waiting for this thread's event loop (a long boosting here does not
 * leave it idle); a caller waiting for a task nobody has claimed runs it itself, and one
 * waiting for a task a worker runs claims open tasks from the tail meanwhile, so the main
 * thread works whenever it has nothing else to do. A worker that cannot start or dies hands
 * the tasks it claimed back to the main thread (with a warning): training never fails for
 * want of a thread.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FeatureSet } from '../features/featureSet.js';
import { train, type TrainData, type TrainResult } from '../models/gbdt/index.js';
import { buildPiece, type MatrixPiece, type MatrixSource } from './matrix.js';

type Params = Record<string, unknown>;

/** What the main thread sends a worker: a boosting, a snapshot's columns and definitions (once), a matrix piece. */
export type WorkRequest =
  | { kind: 'boost'; id: number; claim: Int32Array; data: Omit<TrainData, 'onRound'>; params: Params; progress: boolean }
  | { kind: 'source'; source: number; matrix: MatrixSource }
  | { kind: 'matrix'; id: number; claim: Int32Array; source: number; piece: MatrixPiece };

/** `workerData` of a worker: the number it claims tasks with (2, 3, …; 1 is the main thread). */
export interface WorkerData {
  claimAs: number;
}

/** What a worker sends back: ready, a round done, a result, or a failure to run again here. */
export type WorkReply = { ready: true } | { source: number; refused: string } | { id: number; round: number; loss: number | null } | { id: number; result: TrainResult } | { id: number; values: Float64Array } | { id: number; failed: true };

/** A submitted piece of work: its result; the waiting thread may run queued tasks meanwhile. */
export interface WorkTask<R> {
  result(): Promise<R>;
}

/** A submitted training. */
export type BoostTask = WorkTask<TrainResult>;

/** Where binary GBDT jobs boost: `submit` queues, the task's `result` gives the model. */
export interface Boosting {
  submit(data: TrainData, params: Params): BoostTask;
  close(): Promise<void>;
}

/** Where the snapshot source builds feature matrices, a piece at a time. */
export interface MatrixBuilding {
  /** How many threads build (the source cuts a few pieces per thread). */
  readonly threads: number;
  /** Queues a piece of `source`'s matrix; `features` builds it here when it runs here. */
  matrix(source: MatrixSource, features: FeatureSet, piece: MatrixPiece): WorkTask<Float64Array>;
}

interface Task {
  id: number;
  kind: 'boost' | 'matrix';
  /** Who runs it: 0 nobody yet, 1 this thread, 2 and up a worker (`WorkerData.claimAs`). */
  claim: Int32Array;
  done: boolean;
  /** The message without its id and claim (a matrix piece: with the source it needs set up first). */
  request: { kind: 'boost'; data: Omit<TrainData, 'onRound'>; params: Params; progress: boolean } | { kind: 'matrix'; source: MatrixSource; piece: MatrixPiece };
  onRound?: (round: number, loss: number | null) => void;
  /** The same work on this thread. */
  here(): unknown;
  promise: Promise<unknown>;
  resolve(r: unknown): void;
  reject(e: unknown): void;
}

interface Lane {
  worker: Worker;
  claimAs: number;
  ready: boolean;
  dead: boolean;
  /** Sources already sent to this worker. */
  sources: Set<number>;
}

const HERE = 1;

/** Boosting on the calling thread only (`training.threads: 1`): each result is trained when asked for. */
export function boostHere(): Boosting {
  return {
    submit: (data, params) => ({ result: async () => train(data, params) }),
    close: async () => {},
  };
}

/**
 * The worker's entry: the compiled module as is; from TypeScript sources a small ES module
 * that registers tsx's loader in the worker first (Node 20 does not pass loader hooks given
 * in a worker's execArgv on to it).
 */
export function boostWorkerSpec(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './boostWorker.ts' : './boostWorker.js', import.meta.url);
  if (!fromSource) return url;
  // tsx's ES module API (its `import` export; require.resolve would give the CommonJS one).
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = new URL(pkg.exports['./esm/api']!.import.default, pathToFileURL(pkgPath)).href;
  return new URL(`data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(url.href)});`)}`);
}

/** A pool of `workers` threads beside the main thread, boosting and building matrix pieces. */
export class BoostPool implements Boosting, MatrixBuilding {
  /** Submitted, maybe claimed: this thread claims from the tail. */
  private readonly open: Task[] = [];
  /** Not finished, by id (a worker's replies find them here). */
  private readonly pending = new Map<number, Task>();
  private readonly lanes: Lane[] = [];
  private started = 0;
  private nextId = 1;
  private readonly sourceIds = new Map<MatrixSource, number>();
  /** Tasks boosted on a worker and on the calling thread (for benches and tests). */
  readonly boosted = { onWorkers: 0, here: 0 };
  /** Matrix pieces built on a worker and on the calling thread. */
  readonly built = { onWorkers: 0, here: 0 };
  private warned = false;
  private refusedSaid = false;
  private closed = false;

  constructor(
    private readonly o: {
      workers: number;
      /** Said once when a worker cannot start or dies (training goes on here). */
      warn: (message: string) => void;
      /** The worker module (tests: a broken one); default boostWorkerSpec(). */
      worker?: () => URL;
    },
  ) {}

  /** Starts the workers now (else at the first task): they load their code while this thread does other work. */
  start(): void {
    while (!this.closed && this.started < this.o.workers && !this.warned) this.startLane();
  }

  /** Resolves once every worker started has loaded its code, or has died (benches and tests that want work on the workers). */
  async ready(): Promise<void> {
    this.start();
    while (this.lanes.some((l) => !l.ready && !l.dead)) await new Promise((r) => setTimeout(r, 10));
  }

  get threads(): number {
    return this.o.workers + 1;
  }

  submit(data: TrainData, params: Params): BoostTask {
    const { onRound, ...plain } = data;
    return this.enqueue<TrainResult>({ kind: 'boost', request: { kind: 'boost', data: plain, params, progress: onRound !== undefined }, ...(onRound ? { onRound } : {}), here: () => train(data, params) });
  }

  matrix(source: MatrixSource, features: FeatureSet, piece: MatrixPiece): WorkTask<Float64Array> {
    return this.enqueue<Float64Array>({ kind: 'matrix', request: { kind: 'matrix', source, piece }, here: () => buildPiece(source.columns, features, piece) });
  }

  private enqueue<R>(t: Pick<Task, 'kind' | 'request' | 'onRound' | 'here'>): WorkTask<R> {
    let resolve!: (r: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // the caller sees the error through result()
    const task: Task = { ...t, id: this.nextId++, claim: new Int32Array(new SharedArrayBuffer(4)), done: false, promise, resolve, reject };
    this.start();
    this.open.push(task);
    this.pending.set(task.id, task);
    if (!this.closed) for (const lane of this.lanes) if (!lane.dead) this.post(lane, task);
    return { result: () => this.wait(task) as Promise<R> };
  }

  async close(): Promise<void> {
    this.closed = true;
    const lanes = this.lanes.splice(0);
    for (const lane of lanes) lane.dead = true;
    await Promise.all(lanes.map((l) => l.worker.terminate()));
    // Nothing is left waiting on a thread that is gone.
    for (const t of [...this.pending.values()]) if (Atomics.load(t.claim, 0) > HERE) this.runHere(t);
  }

  /** True when this thread now owns the task (nobody had claimed it). */
  private claimHere(task: Task): boolean {
    return Atomics.compareExchange(task.claim, 0, 0, HERE) === 0;
  }

  private async wait(task: Task): Promise<unknown> {
    for (;;) {
      if (!task.done && this.claimHere(task)) this.runHere(task);
      if (task.done) return task.promise;
      // A worker runs it: run an open task here meanwhile (from the tail: the workers take the head).
      let other: Task | undefined;
      while (!other && this.open.length > 0) {
        const t = this.open.pop()!;
        if (!t.done && this.claimHere(t)) other = t;
      }
      if (!other) return task.promise;
      this.runHere(other);
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Runs a task this thread owns (claimed here, or given back by a worker). */
  private runHere(task: Task): void {
    if (task.done) return;
    task.done = true;
    this.pending.delete(task.id);
    (task.kind === 'boost' ? this.boosted : this.built).here++;
    try {
      task.resolve(task.here());
    } catch (e) {
      task.reject(e);
    }
  }

  /** Posts a task to a worker (which claims it when it gets to it, unless someone did); a matrix piece's source goes first, once. */
  private post(lane: Lane, task: Task): void {
    const r = task.request;
    if (r.kind === 'boost') {
      lane.worker.postMessage({ ...r, id: task.id, claim: task.claim } satisfies WorkRequest);
      return;
    }
    let source = this.sourceIds.get(r.source);
    if (source === undefined) this.sourceIds.set(r.source, (source = this.sourceIds.size + 1));
    if (!lane.sources.has(source)) {
      lane.sources.add(source);
      lane.worker.postMessage({ kind: 'source', source, matrix: r.source } satisfies WorkRequest);
    }
    lane.worker.postMessage({ kind: 'matrix', id: task.id, claim: task.claim, source, piece: r.piece } satisfies WorkRequest);
  }

  private startLane(): void {
    const claimAs = HERE + 1 + this.started++;
    let worker: Worker;
    try {
      worker = new Worker((this.o.worker ?? boostWorkerSpec)(), { execArgv: [], workerData: { claimAs } satisfies WorkerData });
    } catch (e) {
      this.giveUp(`training worker could not start (${(e as Error).message}); boosting and building matrices on the main thread`);
      return;
    }
    const lane: Lane = { worker, claimAs, ready: false, dead: false, sources: new Set() };
    this.lanes.push(lane);
    // Tasks submitted before it started are open to it too.
    for (const t of this.pending.values()) this.post(lane, t);
    worker.on('message', (m: WorkReply) => {
      if ('ready' in m) {
        lane.ready = true;
        return;
      }
      if ('refused' in m) {
        // Its pieces come back failed and are built here; said once (a bug: the same definitions must compile the same).
        if (!this.refusedSaid) this.o.warn(`training worker cannot build feature matrices (${m.refused}); building them on the main thread`);
        this.refusedSaid = true;
        return;
      }
      const task = this.pending.get(m.id);
      if (!task) return;
      if ('round' in m) {
        task.onRound?.(m.round, m.loss);
        return;
      }
      if ('result' in m || 'values' in m) {
        task.done = true;
        this.pending.delete(task.id);
        (task.kind === 'boost' ? this.boosted : this.built).onWorkers++;
        task.resolve('result' in m ? m.result : m.values);
      } else this.runHere(task); // here it throws the real error
    });
    const lost = (why: string) => {
      if (lane.dead) return;
      lane.dead = true;
      this.lanes.splice(this.lanes.indexOf(lane), 1);
      const what = 'boosting and building matrices on the main thread';
      this.giveUp(lane.ready ? `training worker stopped (${why}); ${what}` : `training worker could not start (${why}); ${what}`);
      // What it claimed and did not finish is done here; what it never claimed stays open.
      for (const t of [...this.pending.values()]) if (Atomics.load(t.claim, 0) === lane.claimAs) this.runHere(t);
    };
    worker.on('error', (e) => lost(e.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
  }

  private giveUp(message: string): void {
    if (!this.warned) this.o.warn(message);
    this.warned = true;
  }
}
