/**
 * GBDT boosting on worker threads while the main thread builds the next datasets
 * (docs/decisions/0026). Boosting is pure numerics on typed arrays: a task crosses to a
 * worker by postMessage (the arrays cloned), the worker runs the same `train` and the model
 * comes back, so a model boosted on a worker is the model boosted here. Tasks go to the
 * workers in submission order, at most `depth` per worker; a caller waiting for a task that
 * is still queued runs it itself, and one waiting for a task on a worker runs queued tasks
 * from the tail meanwhile, so the main thread boosts whenever it has nothing else to do.
 * A worker that cannot start or dies hands its tasks back to the main thread (with a
 * warning): training never fails for want of a thread.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { train, type TrainData, type TrainResult } from '../models/gbdt/index.js';

type Params = Record<string, unknown>;

/** What the main thread sends a worker. */
export interface BoostRequest {
  id: number;
  data: Omit<TrainData, 'onRound'>;
  params: Params;
  progress: boolean;
}

/** What a worker sends back: ready, a round done, the result, or a failure to run again here. */
export type BoostReply = { ready: true } | { id: number; round: number; loss: number | null } | { id: number; result: TrainResult } | { id: number; failed: true };

/** A submitted training. */
export interface BoostTask {
  /** The model `train(data, params)` gives; the waiting thread may boost queued tasks meanwhile. */
  result(): Promise<TrainResult>;
}

/** Where binary GBDT jobs boost: `submit` queues, the task's `result` gives the model. */
export interface Boosting {
  submit(data: TrainData, params: Params): BoostTask;
  close(): Promise<void>;
}

interface Task {
  id: number;
  data: TrainData;
  params: Params;
  state: 'queued' | 'sent' | 'done';
  lane?: Lane;
  promise: Promise<TrainResult>;
  resolve(r: TrainResult): void;
  reject(e: unknown): void;
}

interface Lane {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  tasks: Set<Task>;
}

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

/** A pool of `workers` boosting threads beside the main thread. */
export class BoostPool implements Boosting {
  private readonly queue: Task[] = [];
  private readonly lanes: Lane[] = [];
  private nextId = 1;
  /** Tasks boosted on a worker and on the calling thread (for benches and tests). */
  readonly boosted = { onWorkers: 0, here: 0 };
  private warned = false;
  private closed = false;

  constructor(
    private readonly o: {
      workers: number;
      /** Said once when a worker cannot start or dies (training goes on here). */
      warn: (message: string) => void;
      /** The worker module (tests: a broken one); default boostWorkerSpec(). */
      worker?: () => URL;
      /** Tasks in flight per worker (default 2: the next is there when one ends). */
      depth?: number;
    },
  ) {}

  submit(data: TrainData, params: Params): BoostTask {
    let resolve!: (r: TrainResult) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<TrainResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // the caller sees the error through result()
    const task: Task = { id: this.nextId++, data, params, state: 'queued', promise, resolve, reject };
    this.queue.push(task);
    this.dispatch();
    return { result: () => this.wait(task) };
  }

  async close(): Promise<void> {
    this.closed = true;
    const lanes = this.lanes.splice(0);
    for (const lane of lanes) lane.dead = true;
    await Promise.all(lanes.map((l) => l.worker.terminate()));
    // Nothing is left waiting on a thread that is gone.
    for (const lane of lanes) for (const t of lane.tasks) this.runHere(t);
  }

  private async wait(task: Task): Promise<TrainResult> {
    for (;;) {
      if (task.state === 'queued') {
        this.queue.splice(this.queue.indexOf(task), 1);
        this.runHere(task);
      }
      if (task.state === 'done') return task.promise;
      // On a worker: boost a queued task here meanwhile (from the tail: the head goes to the workers next).
      const other = this.queue.pop();
      if (!other) return task.promise;
      this.runHere(other);
      await new Promise((r) => setImmediate(r));
    }
  }

  private runHere(task: Task): void {
    if (task.state === 'done') return;
    task.state = 'done';
    task.lane?.tasks.delete(task);
    this.boosted.here++;
    try {
      task.resolve(train(task.data, task.params));
    } catch (e) {
      task.reject(e);
    }
  }

  private dispatch(): void {
    if (this.closed) return;
    while (this.lanes.length < this.o.workers && !this.warned) this.startLane();
    const depth = this.o.depth ?? 2;
    for (const lane of this.lanes) {
      while (!lane.dead && lane.tasks.size < depth && this.queue.length > 0) {
        const task = this.queue.shift()!;
        task.state = 'sent';
        task.lane = lane;
        lane.tasks.add(task);
        const { onRound, ...data } = task.data;
        lane.worker.postMessage({ id: task.id, data, params: task.params, progress: onRound !== undefined } satisfies BoostRequest);
      }
    }
  }

  private startLane(): void {
    let worker: Worker;
    try {
      worker = new Worker((this.o.worker ?? boostWorkerSpec)(), { execArgv: [] });
    } catch (e) {
      this.giveUp(`boosting worker could not start (${(e as Error).message}); boosting on the main thread`);
      return;
    }
    const lane: Lane = { worker, ready: false, dead: false, tasks: new Set() };
    this.lanes.push(lane);
    const byId = (id: number) => [...lane.tasks].find((t) => t.id === id);
    worker.on('message', (m: BoostReply) => {
      if ('ready' in m) {
        lane.ready = true;
        return;
      }
      const task = byId(m.id);
      if (!task) return;
      if ('round' in m) {
        task.data.onRound?.(m.round, m.loss);
        return;
      }
      lane.tasks.delete(task);
      if ('result' in m) {
        task.state = 'done';
        this.boosted.onWorkers++;
        task.resolve(m.result);
      } else this.runHere(task); // here it throws the real error
      this.dispatch();
    });
    const lost = (why: string) => {
      if (lane.dead) return;
      lane.dead = true;
      this.lanes.splice(this.lanes.indexOf(lane), 1);
      this.giveUp(lane.ready ? `boosting worker stopped (${why}); boosting on the main thread` : `boosting worker could not start (${why}); boosting on the main thread`);
      for (const t of [...lane.tasks]) this.runHere(t);
    };
    worker.on('error', (e) => lost(e.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
  }

  private giveUp(message: string): void {
    if (!this.warned) this.o.warn(message);
    this.warned = true;
  }
}
