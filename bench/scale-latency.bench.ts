/**
 * Decision latency on PostgreSQL + Redis against its floors, in one run: a minimal Fastify
 * server (bench/floor.ts) and the embedded SQLite store, then `nextbest serve` on PostgreSQL
 * + Redis (one instance; and with the NATS bus unless quick). Each is driven by the same load
 * generator (bench/loadgen.ts, a process of its own) open-loop at 250, 500 and 1,000
 * decisions/s, then closed-loop with 32 in flight (saturation). Beside each figure: the
 * server's CPU per reply (from /proc) and the load average. The same 2,000 customers, no
 * event history (a decision reads customer, consents, profile, contacts; caps are checked
 * and committed; the record is logged). Its schema, Redis prefix and stream are dropped after.
 * `npm run bench -- scale-latency`; BENCH_CPU_PROF=DIR writes the PostgreSQL server's CPU profile there.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { openRedis } from '../src/store/redis/client.js';
import { exited, startServer } from '../test/helpers/server.js';
import { answers } from '../test/integration/services.js';
import { percentile, type Bench, type BenchRow } from './harness.js';
import { loadRun, startFloor, type LoadRun } from './loadRun.js';

const PG_URL = process.env.NEXTBEST_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.NEXTBEST_BENCH_REDIS ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.NEXTBEST_BENCH_NATS ?? 'nats://127.0.0.1:4222';
const RUN = `pgperf_lat_${process.pid}_${Date.now().toString(36)}`;
const CUSTOMERS = 2000;

interface Load extends LoadRun {
  cpuMsPerReply: number;
  load1: number;
}

async function load(url: string, bodiesFile: string, rate: number | `closed:${number}`, seconds: number, pid: number | undefined): Promise<Load> {
  const load1 = loadavg()[0]!;
  const r = await loadRun(url, bodiesFile, rate, seconds, pid);
  return { ...r, cpuMsPerReply: r.serverCpuSecondsPerReply * 1000, load1 };
}

async function upsertCustomers(url: string): Promise<void> {
  for (let i = 0; i < CUSTOMERS; i += 1000) {
    const customers = Array.from({ length: 1000 }, (_, k) => ({ customerId: `b${i + k}`, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } }));
    const res = await fetch(`${url}/v1/customers`, { method: 'POST', body: JSON.stringify({ customers }), headers: { 'content-type': 'application/json' } });
    if (res.status !== 200) throw new Error(`customers upsert: ${res.status} ${await res.text()}`);
  }
}

async function dropAll(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  for (const s of [`${RUN}_redis`, `${RUN}_nats`]) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await admin.end();
  const r = openRedis(REDIS_URL);
  const keys = await r.keys(`${RUN}*`);
  for (let i = 0; i < keys.length; i += 1000) await r.del(...keys.slice(i, i + 1000));
  await r.quit();
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(`${RUN}_nats`).catch(() => undefined);
  await nc.close();
}

const bench: Bench = {
  name: 'scale-latency',
  async run({ quick }) {
    const up = (await answers(5432)) && (await answers(6379)) && (!quick ? await answers(4222) : true);
    if (!up) return { rows: [], notes: ['PostgreSQL, Redis or NATS did not answer: nothing measured'] };
    const seconds = quick ? 2 : 5;
    const rates = [250, 500, 1000];
    const dir = mkdtempSync(join(tmpdir(), 'nb-scale-lat-'));
    const bodiesFile = join(dir, 'bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(Array.from({ length: 5000 }, (_, i) => JSON.stringify({ customerId: `b${(i * 31) % CUSTOMERS}`, channel: 'in_app', n: 1 }))));
    const notes: string[] = [`Load average at start ${loadavg().map((x) => x.toFixed(1)).join(' / ')} on 2 cores; the load average at the start of each run is in its note. PostgreSQL, Redis, NATS, the load generator and (on this shared machine) other work all use the same 2 cores.`];
    const runAll = async (url: string, pid: number | undefined) => {
      await load(url, bodiesFile, 250, quick ? 1 : 3, pid); // warm-up
      const byRate = new Map<number, Load>();
      for (const rate of rates) byRate.set(rate, await load(url, bodiesFile, rate, seconds, pid));
      return { byRate, saturation: await load(url, bodiesFile, 'closed:32', seconds, pid) };
    };
    const results: { name: string; runs: Awaited<ReturnType<typeof runAll>> }[] = [];

    const floor = await startFloor();
    results.push({ name: 'Fastify floor', runs: await runAll(floor.url, floor.child.pid) });
    floor.child.kill('SIGTERM');
    await exited(floor.child);

    const targets: { name: string; args: string[]; env?: Record<string, string> }[] = [
      { name: 'SQLite embedded', args: ['--store', 'sqlite'] },
      { name: 'PostgreSQL + Redis', args: ['--store', `${PG_URL}?schema=${RUN}_redis`, '--cache', `${REDIS_URL}?prefix=${encodeURIComponent(`${RUN}:r:`)}`], ...(process.env.BENCH_CPU_PROF ? { env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}` } } : {}) },
    ];
    if (!quick) targets.push({ name: 'PostgreSQL + Redis + NATS', args: ['--store', `${PG_URL}?schema=${RUN}_nats`, '--cache', `${REDIS_URL}?prefix=${encodeURIComponent(`${RUN}:n:`)}`, '--bus', `${NATS_URL}?stream=${RUN}_nats&partitions=12`] });
    try {
      for (const t of targets) {
        const server = await startServer(mkdtempSync(join(dir, 'data-')), { NEXTBEST_LOG_LEVEL: 'warn', ...t.env }, t.args);
        try {
          await upsertCustomers(server.url);
          results.push({ name: t.name, runs: await runAll(server.url, server.child.pid) });
        } finally {
          server.child.kill('SIGTERM');
          await exited(server.child);
        }
      }
    } finally {
      await dropAll();
      rmSync(dir, { recursive: true, force: true });
    }

    const floorRuns = results[0]!.runs;
    const rows: BenchRow[] = [];
    for (const { name, runs } of results) {
      for (const rate of rates) {
        const o = runs.byRate.get(rate)!;
        const f = floorRuns.byRate.get(rate)!;
        const p50 = percentile(o.lat, 50);
        const p99 = percentile(o.lat, 99);
        const note = `p99 ${p99.toFixed(2)} ms (floor ${percentile(f.lat, 99).toFixed(2)} ms); ${o.lat.length} replies, ${o.errors} errors; offered ${Math.round(o.offered)}/s; server CPU ${o.cpuMsPerReply.toFixed(3)} ms/reply; load ${o.load1.toFixed(1)}`;
        rows.push({ case: `${name} at ${rate.toLocaleString('en-GB')} req/s`, metric: 'p50', value: p50, unit: 'ms', ...(name !== 'Fastify floor' ? { peer: { name: 'floor', value: percentile(f.lat, 50) }, ratio: p50 / percentile(f.lat, 50) } : {}), note });
        rows.push({ case: `${name} at ${rate.toLocaleString('en-GB')} req/s`, metric: 'p99', value: p99, unit: 'ms', ...(rate === 1000 && name.startsWith('PostgreSQL') ? { goal: 'p99 ≤ 5 ms' } : {}) });
      }
      const s = runs.saturation;
      rows.push({ case: `${name}, 32 in flight (saturation)`, metric: 'replies/s', value: s.offered, unit: 'req/s', ...(name !== 'Fastify floor' ? { peer: { name: 'floor', value: floorRuns.saturation.offered }, ratio: s.offered / floorRuns.saturation.offered } : {}), note: `p50 ${percentile(s.lat, 50).toFixed(1)} ms, p99 ${percentile(s.lat, 99).toFixed(1)} ms; ${s.errors} errors; server CPU ${s.cpuMsPerReply.toFixed(3)} ms/reply; load ${s.load1.toFixed(1)}` });
    }
    notes.push('Ratio: ours ÷ floor for p50 latency, ours ÷ floor for saturation replies/s. The floor parses the same body and answers a small JSON reply, nothing else.');
    return { rows, notes };
  },
};

export default bench;
