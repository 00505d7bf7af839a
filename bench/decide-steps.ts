/**
 * Profiling aid, not a benchmark: an engine on PostgreSQL + Redis in this process, its
 * ports wrapped to count every store call a decision makes (and the wall time spent in
 * each), then C concurrent clients deciding for `seconds`. Prints calls per decision and
 * milliseconds per decision by port method, and the decision p50/p99.
 * `npx tsx bench/decide-steps.ts [CONCURRENCY] [DECISIONS]` (PostgreSQL and Redis on localhost)
 */
import pg from 'pg';
import { Engine } from '../src/engine.js';
import { openRedis } from '../src/store/redis/client.js';
import { percentile } from './harness.js';

// Every statement sent to PostgreSQL and every command sent to Redis, counted while measuring.
let counting = false;
let pgStatements = 0;
// The PostgreSQL backends serving this process: their CPU time (from /proc) is the database's cost per decision.
const backends = new Set<number>();
let redisCommands = 0;
const clientQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client & { processID?: number }, ...args: unknown[]) {
  if (counting) pgStatements++;
  if (this.processID) backends.add(this.processID);
  return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof clientQuery;
const { readFileSync } = await import('node:fs');
const ticks = () => [...backends].reduce((sum, pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return sum + Number(f[11]) + Number(f[12]);
  } catch {
    return sum;
  }
}, 0);
const { Redis } = await import('ioredis');
const send = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: unknown, ...args: unknown[]) {
  if (counting) redisCommands++;
  return (send as (...a: unknown[]) => unknown).apply(this, args);
} as typeof send;
const C = Number(process.argv[2] ?? 8);
const N = Number(process.argv[3] ?? 2000);
const CUSTOMERS = 2000;
const RUN = `pgperf_steps_${process.pid}`;
const PG = process.env.NEXTBEST_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.NEXTBEST_BENCH_REDIS ?? 'redis://127.0.0.1:6379';
const { mkdtempSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const engine = await Engine.create({ store: `${PG}${PG.includes("?") ? "&" : "?"}schema=${RUN}`, cache: `${REDIS}?prefix=${RUN}:`, dataDir: mkdtempSync(join(tmpdir(), 'pgperf-')), log: { level: 'warn' } } as never);
const calls = new Map<string, { n: number; ms: number }>();
const backend = (engine as unknown as { parts: { backend: Record<string, object> } }).parts.backend;
for (const port of ['customers', 'eventLog', 'contacts', 'decisionLog', 'profiles', 'experiments', 'catalogues', 'checkpoints', 'models']) {
  const target = backend[port] as Record<string, unknown>;
  const proto = Object.getPrototypeOf(target) as object;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const f = target[name];
    if (name === 'constructor' || typeof f !== 'function') continue;
    target[name] = function (this: unknown, ...args: unknown[]) {
      const t = performance.now();
      const out = (f as (...a: unknown[]) => unknown).apply(target, args);
      if (counting && out instanceof Promise) {
        return out.finally(() => {
          const k = `${port}.${name}`;
          const c = calls.get(k) ?? { n: 0, ms: 0 };
          c.n++;
          c.ms += performance.now() - t;
          calls.set(k, c);
        });
      }
      return out;
    };
  }
}
for (let i = 0; i < CUSTOMERS; i += 1000) {
  await engine.upsertCustomers(Array.from({ length: 1000 }, (_, k) => ({ customerId: `b${i + k}`, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
}
// warm up
for (let i = 0; i < 200; i++) await engine.decide({ customerId: `b${i}`, channel: 'push', n: 1 });
counting = true;
const lat: number[] = [];
let k = 0;
const cpu = process.cpuUsage();
const pgTicks = ticks();
const start = performance.now();
await Promise.all(
  Array.from({ length: C }, async () => {
    while (k < N) {
      const i = k++;
      const t = performance.now();
      await engine.decide({ customerId: `b${(i * 31) % CUSTOMERS}`, channel: 'in_app', n: 1 });
      lat.push(performance.now() - t);
    }
  }),
);
const wall = performance.now() - start;
const used = process.cpuUsage(cpu);
const pgMs = (ticks() - pgTicks) * 10; // clock ticks of 10 ms
counting = false;
const rows = [...calls].sort((a, b) => b[1].ms - a[1].ms);
process.stdout.write(`${N} decisions, ${C} concurrent: ${((N * 1000) / wall).toFixed(0)}/s; p50 ${percentile(lat, 50).toFixed(2)} ms p99 ${percentile(lat, 99).toFixed(2)} ms; CPU ${(((used.user + used.system) / 1000) / N).toFixed(3)} ms/decision (this process); ${(pgStatements / N).toFixed(2)} PostgreSQL statements (backends' CPU ${(pgMs / N).toFixed(3)} ms/decision over ${backends.size} connections) and ${(redisCommands / N).toFixed(2)} Redis commands per decision\n`);
for (const [k2, c] of rows) process.stdout.write(`${k2.padEnd(34)} ${(c.n / N).toFixed(2).padStart(6)} calls/decision ${(c.ms / c.n).toFixed(3).padStart(8)} ms/call\n`);
await engine.close();
const admin = new pg.Client({ connectionString: PG });
await admin.connect();
await admin.query(`DROP SCHEMA IF EXISTS ${RUN} CASCADE`);
await admin.end();
const r = openRedis(REDIS);
const keys = await r.keys(`${RUN}:*`);
if (keys.length) await r.del(...keys);
await r.quit();
