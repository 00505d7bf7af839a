/**
 * The pieces the HTTP decision benches share: a server's CPU time from /proc (per thread),
 * one run of the load generator (bench/loadgen.ts, a process of its own) against a server,
 * what a server with bench/serverProbe.mjs preloaded saw during it (GC pauses, event-loop
 * delay), and the Fastify floor server (bench/floor.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './decideFixtures.js';

/** The probe to preload into a server (`node --import PROBE`); it writes to NEXTBEST_BENCH_PROBE. */
export const SERVER_PROBE = join(root, 'bench/serverProbe.mjs');

/** CPU seconds (user + system, all threads) a process has used, from /proc; NaN where there is none. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system) of each thread of a process, by thread id, from /proc; empty where there is none. */
export function threadCpuSeconds(pid: number | undefined): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** What bench/serverProbe.mjs writes on SIGUSR2: what it saw since the last one. */
export interface ProbeReport {
  pid: number;
  /** The threads at the probe's start: the main thread and V8's platform threads (parallel and concurrent GC, the optimising compiler). */
  startupThreads: number[];
  /** GC pauses of the main thread: [start, ms since the epoch; duration, ms; kind]. */
  gcPauses: [number, number, string][];
  loopDelayMs: { p50: number; p99: number; max: number };
  heapUsedBytes: number;
}

/** Asks a server with the probe preloaded for its report since the last ask (and starts it over). */
export async function readProbe(pid: number, file: string): Promise<ProbeReport> {
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 30_000; waited += 20) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as ProbeReport;
    } catch {
      // not written yet (or half written)
    }
  }
  throw new Error(`the server (pid ${pid}) wrote no probe report to ${file} within 30 s: was it started with --import ${SERVER_PROBE}?`);
}

/** What a server's time went on during one load run, from /proc and its probe. */
export interface TailBreakdown {
  /** Server CPU per reply, µs: the main thread; V8's platform threads (GC helpers, compiler); the threads started later (worker threads, libuv pool). */
  cpuUs: { main: number; v8: number; workers: number };
  gc: { pauses: number; totalMs: number; maxMs: number };
  loopDelayMs: { p99: number; max: number };
  /** Share of the replies at or above the run's p99 whose time in flight overlapped a GC pause, and of all replies. */
  slowOverlappingGc: number;
  allOverlappingGc: number;
}

/** Share of requests [sentAt, sentAt + lat] that overlap any of the intervals [start, start + ms]. */
function overlapShare(sentAt: readonly number[], lat: readonly number[], which: readonly number[], intervals: readonly [number, number, string][]): number {
  if (which.length === 0) return 0;
  let n = 0;
  for (const k of which) {
    const a = sentAt[k]!;
    const b = a + lat[k]!;
    if (intervals.some(([s, d]) => s < b && s + d > a)) n++;
  }
  return n / which.length;
}

export interface LoadRun {
  lat: number[];
  /** When each request of `lat` was sent, ms since the epoch. */
  sentAt: number[];
  offered: number;
  errors: number;
  /** Replies whose body held `match` (0 when no match was asked for). */
  matched: number;
  /** CPU seconds the load generator itself used from its first request to its last reply, on the cores the server has too. */
  cpuSeconds: number;
  /** The server's CPU seconds per reply (ok or error) over the run. */
  serverCpuSecondsPerReply: number;
  /** With `probeFile` (a server started with SERVER_PROBE preloaded): what its time went on. */
  breakdown?: TailBreakdown;
}

/**
 * One load run on POST /v1/decisions at `rate` (or closed-loop), with the server's CPU time
 * per reply; with `probeFile`, the breakdown of the server's time (TailBreakdown).
 */
export async function loadRun(url: string, bodiesFile: string, rate: number | `closed:${number}`, seconds: number, serverPid: number | undefined, match?: string, probeFile?: string): Promise<LoadRun> {
  if (probeFile && serverPid !== undefined) await readProbe(serverPid, probeFile); // starts its counts over
  const threads0 = threadCpuSeconds(serverPid);
  const cpu0 = cpuSeconds(serverPid);
  const args = [join(root, 'bench/loadgen.ts'), new URL(url).origin, '/v1/decisions', String(rate), String(seconds), bodiesFile, ...(match ? [match] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited ${code}`);
  const r = JSON.parse(out) as Omit<LoadRun, 'serverCpuSecondsPerReply' | 'breakdown'>;
  const replies = Math.max(1, r.lat.length + r.errors);
  const run: LoadRun = { ...r, serverCpuSecondsPerReply: (cpuSeconds(serverPid) - cpu0) / replies };
  if (probeFile && serverPid !== undefined) {
    const threads1 = threadCpuSeconds(serverPid);
    const probe = await readProbe(serverPid, probeFile);
    const startup = new Set(probe.startupThreads);
    const cpuUs = { main: 0, v8: 0, workers: 0 };
    for (const [tid, s1] of threads1) {
      const used = ((s1 - (threads0.get(tid) ?? 0)) / replies) * 1e6;
      if (tid === serverPid) cpuUs.main += used;
      else if (startup.has(tid)) cpuUs.v8 += used;
      else cpuUs.workers += used;
    }
    const pauses = probe.gcPauses;
    const order = r.lat.map((_, k) => k).sort((a, b) => r.lat[a]! - r.lat[b]!);
    const slow = order.slice(Math.max(0, Math.ceil(0.99 * order.length) - 1)); // at or above the p99 of harness.percentile
    run.breakdown = {
      cpuUs,
      gc: { pauses: pauses.length, totalMs: pauses.reduce((t, p) => t + p[1], 0), maxMs: pauses.reduce((m, p) => Math.max(m, p[1]), 0) },
      loopDelayMs: { p99: probe.loopDelayMs.p99, max: probe.loopDelayMs.max },
      slowOverlappingGc: overlapShare(r.sentAt, r.lat, slow, pauses),
      allOverlappingGc: overlapShare(r.sentAt, r.lat, order, pauses),
    };
  }
  return run;
}

/** Starts the floor server; resolves with its URL and process. */
export async function startFloor(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/floor.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (c) => reject(new Error(`floor server exited ${c}`)));
  });
  return { url, child };
}
