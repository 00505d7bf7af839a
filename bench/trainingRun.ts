/**
 * What the training measurements share (bench/trainSnapshot.ts, the `training` bench): wall and
 * CPU time of a step (all threads, and the main thread alone on Linux), and the floor, one
 * scan of the engine's own log with JSON parsing (what every job used to repeat).
 */
import { loadavg } from 'node:os';
import type { Engine } from '../src/index.js';
import type { EventLog } from '../src/store/eventLog.js';
import { threadCpuSeconds } from './loadRun.js';

export interface Timed<T> {
  value: T;
  /** seconds */
  wall: number;
  /** CPU seconds of every thread of the process */
  cpu: number;
  /** CPU seconds of the main thread (NaN where /proc is not there) */
  main: number;
  /** one-minute load average when the step ended */
  load: string;
}

export const load = (): string => loadavg()[0]!.toFixed(1);

/** CPU seconds of the main thread alone (its /proc thread entry), NaN where there is none: the critical path when workers boost. */
export const mainThreadCpu = (): number => threadCpuSeconds(process.pid).get(process.pid) ?? Number.NaN;

export async function timed<T>(f: () => Promise<T>): Promise<Timed<T>> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpu();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, main: mainThreadCpu() - m0, load: load() };
}

/** The engine's own event log (a bench may look inside: the floor must read the same store the jobs read). */
export const engineLog = (engine: Engine): EventLog => (engine as unknown as { parts: { backend: { eventLog: EventLog } } }).parts.backend.eventLog;

/** The floor: one scan of the log, every event JSON-parsed; its value is the number of events read. */
export const scanFloor = (engine: Engine): Promise<Timed<number>> =>
  timed(async () => {
    let n = 0;
    for await (const page of engineLog(engine).scan({ batchSize: 20_000 })) n += page.length;
    return n;
  });
