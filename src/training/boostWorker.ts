/**
 * The worker thread of the training pool (boostPool.ts). It boosts GBDTs (typed arrays and
 * plain parameters, cloned by postMessage) with the same `train` the main thread would run,
 * and builds pieces of feature matrices with the same `buildPiece`, from the training
 * snapshot's columns in shared memory and a `FeatureSet` compiled here from the definitions
 * the main thread sent (refused unless its version is the snapshot's). Progress goes back as
 * round numbers. A task that throws is reported as failed without its error: the pool runs
 * it again on the main thread, which throws the real error (same inputs, same error).
 * The feature code is loaded on the first matrix source, so a worker that only boosts starts
 * as fast as before.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { train, type TrainData } from '../models/gbdt/booster.js';
import type { WorkerData, WorkReply, WorkRequest } from './boostPool.js';
import type { MatrixColumns } from './matrix.js';
import type { FeatureSet } from '../features/featureSet.js';

if (!parentPort) throw new Error('boostWorker.ts runs only as a worker thread');
const port: MessagePort = parentPort;
const claimAs = (workerData as WorkerData | null)?.claimAs ?? 2;

/** Each source's columns and compiled features (undefined: it could not be compiled to the same version). */
const sources = new Map<number, { columns: MatrixColumns; features: FeatureSet } | undefined>();
let matrixCode: Promise<{ FeatureSet: typeof FeatureSet; buildPiece: typeof import('./matrix.js').buildPiece }> | undefined;
const loadMatrixCode = () => (matrixCode ??= Promise.all([import('../features/featureSet.js'), import('./matrix.js')]).then(([f, m]) => ({ FeatureSet: f.FeatureSet, buildPiece: m.buildPiece })));

async function handle(m: WorkRequest): Promise<WorkReply | undefined> {
  if (m.kind === 'source') {
    let why: string;
    try {
      const code = await loadMatrixCode();
      const features = code.FeatureSet.compile(m.matrix.definitions);
      if (features.version === m.matrix.version) {
        sources.set(m.source, { columns: m.matrix.columns, features });
        return undefined;
      }
      why = `its feature definitions compile to version ${features.version}, not ${m.matrix.version}`;
    } catch (e) {
      why = `its feature definitions do not compile (${(e as Error).message})`;
    }
    sources.set(m.source, undefined);
    return { source: m.source, refused: why };
  }
  // Posted to every worker when submitted: run only if no one (the main thread, another worker) has taken it.
  if (Atomics.compareExchange(m.claim, 0, 0, claimAs) !== 0) return undefined;
  try {
    if (m.kind === 'matrix') {
      const s = sources.get(m.source);
      if (!s) return { id: m.id, failed: true };
      return { id: m.id, values: (await loadMatrixCode()).buildPiece(s.columns, s.features, m.piece) };
    }
    const data: TrainData = { ...m.data, ...(m.progress ? { onRound: (round: number, loss: number | null) => port.postMessage({ id: m.id, round, loss } satisfies WorkReply) } : {}) };
    return { id: m.id, result: train(data, m.params) };
  } catch {
    return { id: m.id, failed: true };
  }
}

// In order: a matrix piece waits for its source to be compiled.
let chain: Promise<unknown> = Promise.resolve();
port.on('message', (m: WorkRequest) => {
  chain = chain.then(async () => {
    const reply = await handle(m);
    if (reply) port.postMessage(reply, 'values' in reply ? [reply.values.buffer as ArrayBuffer] : []);
  });
});
port.postMessage({ ready: true } satisfies WorkReply);
// Loaded while the main thread reads the snapshot (a failure here shows again, as a failed piece, when a source comes).
loadMatrixCode().catch(() => {});
