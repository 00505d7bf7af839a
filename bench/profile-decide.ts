/**
 * Profiling aid, not a benchmark: runs in-process decisions (9 family models × 200 trees;
 * TreeSHAP for the winner unless SHAP=0, as the engine decides by default) in a loop so
 * `node --cpu-prof` can show where a decision's time goes. Prints wall and CPU time per
 * decision (process.cpuUsage), the share that chose an action, the stored record's bytes
 * (its JSON as the log receives it, and raw-deflated at level 3 as the SQLite worker stores
 * it), and a floor measured in the same run: the pure evaluate() on the same inputs.
 * LOG=sqlite logs to the SQLite decision log written by its worker thread (as `serve` does;
 * process.cpuUsage counts every thread) and reports the bytes stored per record; CUSTOMERS=k
 * decides for k customers, each once a week (default 10,000), so contact histories build up as they would.
 * `npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-decide.ts [N]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { deflateRawSync } from 'node:zlib';
import { ManualClock } from '../src/core/clock.js';
import { mulberry32 } from '../src/core/random.js';
import { compileCatalogue, consentsInForce, customerView, Decisioning, evaluate, GbdtScorer, priorOnly } from '../src/decisioning/index.js';
import { MemoryContactStore } from '../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../src/store/memory/decisionLog.js';
import { WorkerSqliteDecisionLog } from '../src/store/sqlite/decisionLogWorker.js';
import type { LoggedDecision } from '../src/store/decisionLog.js';
import { catalogue50, customerFor, profileFor, trainModel } from './decideFixtures.js';

const N = Number(process.argv[2] ?? 20_000);
const cat = catalogue50();
const model = trainModel(200);
const families = [...new Set(cat.actions.map((a) => a.family))];
const scorer = new GbdtScorer({ families: Object.fromEntries(families.map((f) => [f, { version: `bench-${f}@1`, model: structuredClone(model) }])) });
const rng = mulberry32(5);
const customers = Array.from({ length: Number(process.env.CUSTOMERS ?? 10_000) }, (_, i) => customerFor(i, rng));
const profiles = customers.map(() => profileFor(rng));
const clock = new ManualClock('2026-03-02T10:00:00Z');
const shap = process.env.SHAP !== '0';
const sizes: { json: number; deflated: number }[] = [];
class MeasuredLog extends MemoryDecisionLog {
  measure = false;
  override async append(d: LoggedDecision): Promise<void> {
    if (this.measure && sizes.length < 2000) {
      const json = JSON.stringify(d.record);
      sizes.push({ json: Buffer.byteLength(json), deflated: deflateRawSync(json, { level: 3 }).length });
    }
    return super.append(d);
  }
}
const sqliteDir = process.env.LOG === 'sqlite' ? mkdtempSync(join(tmpdir(), 'nb-profile-decide-')) : undefined;
const log = sqliteDir ? new WorkerSqliteDecisionLog(join(sqliteDir, 'decision-log.db')) : new MeasuredLog();
const models = process.env.MODELS !== '0';
const d = new Decisioning(cat, {
  clock,
  customers: { get: async (id) => customers[Number(id.slice(1))] },
  consentEvents: async () => [],
  profiles: { profile: async (id) => ({ values: profiles[Number(id.slice(1))]!, version: 'bench' }) },
  contacts: new MemoryContactStore(),
  log,
  ...(models ? { scorer } : {}),
  shap,
});
if (shap && models) for (const build of scorer.explainerBuilds()) build();
// Every customer decided once a week (their caps reopen): contact histories fill as on a server.
const day = (i: number) => i > 0 && i % customers.length === 0 && clock.advance(8 * 86_400_000);
for (let i = 0; i < 1000; i++) {
  day(i);
  await d.decide({ customerId: `c${i % customers.length}`, channel: 'in_app', n: 3 });
}
let choosing = 0;
const cpu0 = process.cpuUsage();
const start = performance.now();
for (let i = 0; i < N; i++) {
  day(i);
  const r = await d.decide({ customerId: `c${i % customers.length}`, channel: 'in_app', n: 3 });
  if (r.chosen.length > 0) choosing++;
}
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
const cpuUs = (cpu.user + cpu.system) / N;
// Record sizes, on a separate pass so measuring them costs the timed loop nothing.
if (log instanceof MeasuredLog) {
  log.measure = true;
  for (let i = 0; i < 2000; i++) await d.decide({ customerId: `c${(i * 7) % customers.length}`, channel: 'in_app', n: 3 });
} else {
  await log.close();
  const db = new Database(join(sqliteDir!, 'decision-log.db'), { readonly: true });
  const rows = db.prepare('SELECT LENGTH(CAST(record AS BLOB)) AS n FROM decisions').all() as { n: number }[];
  db.close();
  for (const r of rows) sizes.push({ json: Number.NaN, deflated: r.n });
  rmSync(sqliteDir!, { recursive: true, force: true });
}
// The floor: evaluate() alone on the same customers' prepared inputs.
const compiled = compileCatalogue(cat);
const inputs = customers.slice(0, 2000).map((c, i) => ({ customer: customerView(c, clock.now()), profile: profiles[i]!, profileVersion: null, scores: {}, consents: consentsInForce(c, [], 'in_app', clock.now()), history: { contacts: [], declines: [] }, context: {}, sessionId: null }));
const f0 = process.cpuUsage();
const M = Math.min(N, 10_000);
for (let i = 0; i < M; i++) evaluate(compiled, inputs[i % inputs.length]!, { now: clock.now(), channel: 'in_app', levers: cat.levers, scorer: models ? scorer : priorOnly });
const f = process.cpuUsage(f0);
const floorUs = (f.user + f.system) / M;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
process.stdout.write(
  [
    `${N} decisions (shap ${shap}, models ${models}) in ${ms.toFixed(0)} ms wall: ${((N * 1000) / ms).toFixed(0)}/s, ${((ms * 1000) / N).toFixed(1)} µs each`,
    `CPU ${cpuUs.toFixed(1)} µs/decision (${(1e6 / cpuUs).toFixed(0)} decisions per CPU-second); floor evaluate() ${floorUs.toFixed(1)} µs; ratio ${(cpuUs / floorUs).toFixed(2)}`,
    `chose an action: ${((100 * choosing) / N).toFixed(1)}%`,
    sqliteDir ? `stored in SQLite: mean ${mean(sizes.map((s) => s.deflated)).toFixed(0)} B, largest ${max(sizes.map((s) => s.deflated))} B over ${sizes.length} records` : `stored record: JSON mean ${mean(sizes.map((s) => s.json)).toFixed(0)} B (max ${max(sizes.map((s) => s.json))}), deflated mean ${mean(sizes.map((s) => s.deflated)).toFixed(0)} B (max ${max(sizes.map((s) => s.deflated))}) over ${sizes.length} decisions`,
    `load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')}`,
  ].join('\n') + '\n',
);
