/**
 * Training every family from a data dir, from the columnar snapshot (or the log, to compare):
 *   npx tsx bench/twinLog.ts 4400 270 7 /tmp/twin5m            # ~5.2M events with offers
 *   npx nextbest ingest /tmp/twin5m/events.jsonl --customers /tmp/twin5m/customers.jsonl --batch 20000 --data-dir /tmp/dd5m
 *   npx tsx bench/trainSnapshot.ts /tmp/dd5m [--from-log] [--models a,b] [--keep] [--no-floor]
 * Prints the floor (one scan of the log with JSON parsing, what each job used to repeat),
 * the snapshot build (deleted first unless --keep), then per family wall and CPU time and the
 * load average. Models are registered as candidates in that data dir.
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createEngine, loadConfig, MODEL_JOBS } from '../src/index.js';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--'));
if (!dir) throw new Error('usage: tsx bench/trainSnapshot.ts DATA_DIR [--from-log] [--models a,b] [--keep] [--no-floor]');
const fromLog = args.includes('--from-log');
const mi = args.indexOf('--models');
const jobs = mi >= 0 ? args[mi + 1]!.split(',') : [...MODEL_JOBS];
if (!fromLog && !args.includes('--keep')) rmSync(join(dir, 'training-snapshot'), { recursive: true, force: true });

const engine = await createEngine(loadConfig('nextbest.config.yaml', process.env, { dataDir: dir, log: { level: 'warn' } }));
const load = () => loadavg()[0]!.toFixed(1);
const timed = async <T>(f: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number; load: string }> => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, load: load() };
};
const line = (name: string, r: { wall: number; cpu: number; load: string }, extra = '') => process.stdout.write(`${name.padEnd(22)} wall ${r.wall.toFixed(1).padStart(6)} s  cpu ${r.cpu.toFixed(1).padStart(6)} s  load ${r.load}${extra ? `  ${extra}` : ''}\n`);

try {
  const events = await engine.stats();
  process.stdout.write(`data dir ${dir}: ${events.events.toLocaleString('en-GB')} events, ${events.customers.toLocaleString('en-GB')} customers; ${fromLog ? 'from the log (every job scans it)' : 'from the columnar snapshot'}\n`);
  const floor = args.includes('--no-floor') ? { value: 0, wall: Number.NaN, cpu: Number.NaN, load: load() } : await timed(async () => {
    let n = 0;
    // The engine's own log (a bench may look inside; the floor must be the same store the jobs read).
    const log = (engine as unknown as { parts: { backend: { eventLog: import('../src/store/eventLog.js').EventLog } } }).parts.backend.eventLog;
    for await (const page of log.scan({ batchSize: 20_000 })) n += page.length;
    return n;
  });
  line('floor: one log scan', floor, `${floor.value} events parsed`);
  let total = { wall: 0, cpu: 0 };
  if (!fromLog) {
    const build = await timed(() => engine.trainModels({ models: [], seed: 1 }));
    line('snapshot build', build, `${JSON.stringify(build.value.data)}; ${(build.cpu / floor.cpu).toFixed(2)}x the floor's CPU`);
    total = { wall: build.wall, cpu: build.cpu };
  }
  for (const job of jobs) {
    const r = await timed(() => engine.trainModels({ models: [job], seed: 1, ...(fromLog ? { snapshot: false } : {}) }));
    total = { wall: total.wall + r.wall, cpu: total.cpu + r.cpu };
    line(job, r, `trained ${r.value.trained.map((t) => t.name).join(', ') || '-'}${r.value.skipped.length ? `; skipped ${r.value.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}` : ''}`);
  }
  line('total', { ...total, load: load() }, `${(total.cpu / floor.cpu).toFixed(1)}x the floor's CPU`);
} finally {
  await engine.close();
}
