import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { createEngine } from '../src/engine.js';
import { checkEvent } from '../src/ingest/check.js';
import { canonicalJson } from '../src/core/canonical.js';
import { BankEvent } from '../src/core/events.js';
import { startServer, exited } from '../test/helpers/server.js';
import { percentile, type Bench, type BenchRow } from './harness.js';

/** A realistic mix: card payments, logins, balances, transfers, salary. */
function makeEvents(n: number, prefix: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i++) {
    const base = { eventId: `${prefix}-${i}`, customerId: `cust-${i % 50_000}`, occurredAt: new Date(t0 + i * 997).toISOString(), schemaVersion: 1 };
    const k = i % 10;
    if (k < 5) out.push({ ...base, type: 'card_payment', payload: { amount: { minor: -(100 + (i % 9000)), currency: 'GBP' }, merchantCategoryCode: ['5411', '5812', '4511', '5541'][i % 4], merchantCountry: i % 7 === 0 ? 'FR' : 'GB' } });
    else if (k < 7) out.push({ ...base, type: 'login', payload: { channel: i % 3 ? 'mobile_app' : 'web' } });
    else if (k === 7) out.push({ ...base, type: 'balance_snapshot', payload: { accountId: `acc-${i % 50_000}`, accountType: 'current', balance: { minor: 100_000 + (i % 777_777), currency: 'GBP' } } });
    else if (k === 8) out.push({ ...base, type: 'transfer_out', payload: { amount: { minor: -25_000, currency: 'GBP' }, counterpartyBank: 'Monzo' } });
    else out.push({ ...base, type: 'salary', payload: { amount: { minor: 285_000, currency: 'GBP' }, employerId: 'emp-1' } });
  }
  return out;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function postRaw(url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: url.hostname, port: url.port, path: '/v1/events', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function httpThroughput(url: URL, bodies: string[], perBody: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const b = bodies[next++]!;
        const status = await postRaw(url, b);
        if (status !== 200) throw new Error(`HTTP ${status}`);
      }
    }),
  );
  return (bodies.length * perBody) / ((performance.now() - started) / 1000);
}

const bench: Bench = {
  name: 'ingest',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const N = quick ? 50_000 : 300_000;

    // Where the time goes, per event, single-threaded.
    const sample = makeEvents(50_000, 'p');
    const ctx = { now: Date.UTC(2027, 0, 1), maxFutureMs: 300_000, erased: new Set<string>() };
    for (const e of sample) checkEvent(e, ctx); // warm up the JIT first
    let t = performance.now();
    for (const e of sample) BankEvent.safeParse(e);
    const zodUs = ((performance.now() - t) * 1000) / sample.length;
    t = performance.now();
    for (const e of sample) canonicalJson(e);
    const canonUs = ((performance.now() - t) * 1000) / sample.length;
    t = performance.now();
    for (const e of sample) checkEvent(e, ctx);
    const checkUs = ((performance.now() - t) * 1000) / sample.length;
    rows.push({ case: 'per event', metric: 'schema validation (zod)', value: zodUs, unit: 'µs' });
    rows.push({ case: 'per event', metric: 'canonicalJson (key-sorting; not on the hot path, which uses zod-ordered JSON.stringify)', value: canonUs, unit: 'µs' });
    rows.push({ case: 'per event', metric: 'full check (schema + quality + canonical)', value: checkUs, unit: 'µs' });

    // Library ingest, SQLite, batches of 1,000 (durable: WAL + synchronous=FULL, one fsync per batch).
    const dir = mkdtempSync(join(tmpdir(), 'nb-bench-'));
    const engine = await createEngine({ dataDir: join(dir, 'lib'), log: { level: 'silent' } }, { clock: { now: () => Date.UTC(2027, 0, 1) } });
    const events = makeEvents(N, 'lib');
    t = performance.now();
    for (let i = 0; i < events.length; i += 1000) {
      const r = await engine.ingest(events.slice(i, i + 1000));
      if (r.accepted !== Math.min(1000, events.length - i)) throw new Error('bench events rejected');
    }
    const libRate = N / ((performance.now() - t) / 1000);
    rows.push({ case: 'library, SQLite, batches of 1,000 (incl. online features for 50,000 customers)', metric: 'throughput', value: libRate, unit: 'events/s', goal: '≥ 200,000 events/s' });
    const db = engine.stores.sqlite!;
    const appendOnly = makeEvents(100_000, 'raw').map((e) => {
      const c = checkEvent(e, ctx);
      if (!c.ok) throw new Error('bad');
      return c.item;
    });
    t = performance.now();
    for (let i = 0; i < appendOnly.length; i += 1000) await engine.stores.eventLog.appendMany(appendOnly.slice(i, i + 1000), 0);
    const appendUs = ((performance.now() - t) * 1000) / appendOnly.length;
    rows.push({ case: 'per event', metric: 'SQLite append (in a batch of 1,000, incl. fsync)', value: appendUs, unit: 'µs' });
    notes.push(`SQLite ${String((db.prepare('select sqlite_version() v').get() as { v: string }).v)}, WAL, synchronous=FULL: a batch is acknowledged only after fsync.`);
    await engine.close();

    // HTTP: a server in a child process, clients here (both share the 2 cores).
    const server = await startServer(join(dir, 'http'));
    const url = new URL(server.url);
    const httpEvents = makeEvents(quick ? 50_000 : 200_000, 'http');
    const bodies: string[] = [];
    for (let i = 0; i < httpEvents.length; i += 500) bodies.push(JSON.stringify({ events: httpEvents.slice(i, i + 500) }));
    const half = Math.floor(bodies.length / 2);
    const c1 = await httpThroughput(url, bodies.slice(0, half), 500, 1);
    const c16 = await httpThroughput(url, bodies.slice(half), 500, 16);
    rows.push({ case: 'HTTP, batches of 500, 1 client', metric: 'throughput', value: c1, unit: 'events/s', goal: '≥ 50,000 events/s' });
    rows.push({ case: 'HTTP, batches of 500, 16 clients', metric: 'throughput', value: c16, unit: 'events/s', goal: '≥ 50,000 events/s' });

    const singles = makeEvents(quick ? 1000 : 3000, 'single').map((e) => JSON.stringify(e));
    const lat: number[] = [];
    for (const body of singles) {
      const s = performance.now();
      const status = await postRaw(url, body);
      lat.push(performance.now() - s);
      if (status !== 201) throw new Error(`HTTP ${status}`);
    }
    rows.push({ case: 'HTTP, single event POST, sequential', metric: 'latency p50', value: percentile(lat, 50), unit: 'ms' });
    rows.push({ case: 'HTTP, single event POST, sequential', metric: 'latency p99', value: percentile(lat, 99), unit: 'ms' });
    server.child.kill('SIGTERM');
    await exited(server.child);
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
    notes.push('Single-event latency includes one fsync per request (each POST is its own durable transaction).');
    notes.push('HTTP figures: server and load generator share the same 2 cores.');
    return { rows, notes };
  },
};
export default bench;
