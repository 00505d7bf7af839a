/**
 * The worker thread of the boosting pool (boostPool.ts): it receives a GBDT training task
 * (typed arrays and plain parameters, cloned by postMessage), runs the same `train` the main
 * thread would, and posts back the model. Progress goes back as round numbers. A task that
 * throws is reported as failed without its error: the pool runs it again on the main
 * thread, which throws the real error (same inputs, same error).
 */
import { parentPort } from 'node:worker_threads';
import { train, type TrainData } from '../models/gbdt/booster.js';
import type { BoostReply, BoostRequest } from './boostPool.js';

const port = parentPort;
if (!port) throw new Error('boostWorker.ts runs only as a worker thread');

port.on('message', (m: BoostRequest) => {
  let reply: BoostReply;
  try {
    const data: TrainData = { ...m.data, ...(m.progress ? { onRound: (round: number, loss: number | null) => port.postMessage({ id: m.id, round, loss } satisfies BoostReply) } : {}) };
    reply = { id: m.id, result: train(data, m.params) };
  } catch {
    reply = { id: m.id, failed: true };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies BoostReply);
