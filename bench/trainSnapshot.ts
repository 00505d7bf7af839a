/**
 * Training every family from a data dir, from the columnar snapshot (or the log, to compare):
 *   npx tsx bench/twinLog.ts 4400 270 7 /tmp/twin5m            # ~5.2M events with offers
 *   npx nextbest ingest /tmp/twin5m/events.jsonl --customers /tmp/twin5m/customers.jsonl --batch 20000 --data-dir /tmp/dd5m
 *   npx tsx bench/trainSnapshot.ts /tmp/dd5m [--from-log] [--models a,b] [--keep] [--no-floor] [--append N] [--together] [--threads N]
 * Prints the floor (one scan of the log with JSON parsing, what each job used to repeat), the
 * snapshot built from scratch (deleted first unless --keep), the snapshot loaded by a later
 * run, with `--append N` N more events (the log's latest N again, a day later, new ids)
 * appended while the engine's consumer follows them and then the run that reads them, then
 * per family wall and CPU time (all threads, and the main thread alone on Linux) and the load average. Models are registered as candidates in
 * that data dir; `--append` adds events to it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BankEvent } from '../src/core/events.js';
import { createEngine, loadConfig, MODEL_JOBS } from '../src/index.js';
import { engineLog, load, scanFloor, timed } from './trainingRun.js';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
if (!dir) throw new Error('usage: tsx bench/trainSnapshot.ts DATA_DIR [--from-log] [--models a,b] [--keep] [--no-floor] [--append N] [--together]');
const fromLog = args.includes('--from-log');
const mi = args.indexOf('--models');
const jobs = mi >= 0 ? args[mi + 1]!.split(',').filter((j) => j !== '') : [...MODEL_JOBS];
const ai = args.indexOf('--append');
const append = ai >= 0 ? Number(args[ai + 1]) : 0;
if (!Number.isInteger(append) || append < 0) throw new Error('--append must be a whole number of events');
const ti = args.indexOf('--threads');
const threads = ti >= 0 ? Number(args[ti + 1]) : undefined;
if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new Error('--threads must be a whole number, at least 1');
if (!fromLog && !args.includes('--keep')) rmSync(join(dir, 'training-snapshot'), { recursive: true, force: true });

const engine = await createEngine(loadConfig('nextbest.config.yaml', process.env, { dataDir: dir, log: { level: 'warn' } }));
const line = (name: string, r: { wall: number; cpu: number; main?: number; load: string }, extra = '') =>
  process.stdout.write(`${name.padEnd(26)} wall ${r.wall.toFixed(1).padStart(6)} s  cpu ${r.cpu.toFixed(1).padStart(6)} s  main thread ${(r.main ?? Number.NaN).toFixed(1).padStart(5)} s  load ${r.load}${extra ? `  ${extra}` : ''}\n`);
const dataOf = (d: { action?: string; reason?: string; rows?: number; appended?: number; seconds?: number; source: string }) => JSON.stringify(d);

try {
  const events = await engine.stats();
  process.stdout.write(`data dir ${dir}: ${events.events.toLocaleString('en-GB')} events, ${events.customers.toLocaleString('en-GB')} customers; ${fromLog ? 'from the log (every job scans it)' : 'from the columnar snapshot'}\n`);
  const log = engineLog(engine);
  const floor = args.includes('--no-floor') ? { value: 0, wall: Number.NaN, cpu: Number.NaN, main: Number.NaN, load: load() } : await scanFloor(engine);
  line('floor: one log scan', floor, `${floor.value} events parsed`);
  let total = { wall: 0, cpu: 0, main: 0 };
  if (!fromLog) {
    const build = await timed(() => engine.trainModels({ models: [], seed: 1 }));
    line(args.includes('--keep') ? 'snapshot (kept)' : 'snapshot from scratch', build, `${dataOf(build.value.data)}; ${(build.cpu / floor.cpu).toFixed(2)}x the floor's CPU`);
    total = { wall: build.wall, cpu: build.cpu, main: build.main };
    const again = await timed(() => engine.trainModels({ models: [], seed: 1 }));
    line('snapshot, a later run', again, dataOf(again.value.data));
    if (append > 0) {
      const latest: BankEvent[] = [];
      const head = await log.head();
      for (let after = Math.max(0, head - append); latest.length < append; ) {
        const page = await log.readAfter(after, 20_000);
        if (page.length === 0) break;
        latest.push(...page.map((e) => e.event));
        after = page[page.length - 1]!.seq;
      }
      const shift = 86_400_000 + Date.parse(latest.at(-1)!.occurredAt) - Date.parse(latest[0]!.occurredAt);
      const tag = Date.now().toString(36);
      const items = latest.map((e) => ({ ...e, eventId: `${e.eventId}-${tag}`, occurredAt: new Date(Date.parse(e.occurredAt) + shift).toISOString() }) as BankEvent);
      // Ingested as a server or `nextbest ingest` does: validated, appended, applied by every consumer.
      const appended = await timed(async () => {
        let accepted = 0;
        for (let k = 0; k < items.length; k += 5000) accepted += (await engine.ingest(items.slice(k, k + 5000))).accepted;
        await engine.consumers.caughtUp(600_000);
        return accepted;
      });
      const follower = engine.consumers.status().find((c) => c.name === 'training-snapshot');
      line(`${append} ingested`, appended, `${appended.value} accepted; validation, log writes and every consumer (training-snapshot at ${follower?.appliedSeq ?? '-'})`);
      const extended = await timed(() => engine.trainModels({ models: [], seed: 1 }));
      line('snapshot after the appends', extended, dataOf(extended.value.data));
    }
  }
  // --together: every job in one run, as `nextbest train` does (one refresh of the snapshot); else one run a job.
  for (const group of args.includes('--together') ? [jobs] : jobs.map((j) => [j])) {
    const job = group.join(',');
    const r = await timed(() => engine.trainModels({ models: group, seed: 1, ...(fromLog ? { snapshot: false } : {}), ...(threads ? { threads } : {}) }));
    total = { wall: total.wall + r.wall, cpu: total.cpu + r.cpu, main: total.main + r.main };
    const w = r.value.work;
    const work = w ? `; on workers: ${w.built.onWorkers}/${w.built.onWorkers + w.built.here} matrix pieces, ${w.boosted.onWorkers}/${w.boosted.onWorkers + w.boosted.here} boostings` : '';
    line(job, r, `trained ${r.value.trained.map((t) => t.name).join(', ') || '-'}${r.value.skipped.length ? `; skipped ${r.value.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}` : ''}${work}`);
  }
  line('total (build + families)', { ...total, load: load() }, `${(total.cpu / floor.cpu).toFixed(1)}x the floor's CPU`);
} finally {
  await engine.close();
}
